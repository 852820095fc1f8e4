package ai.gptoss.engine;

/**
 * A snapshot of an engine's counters.
 *
 * @param requestsDone requests completed in any way (stop, length, error, cancelled), rejected ones included
 * @param requestsFailed of those, finished with ERROR
 * @param requestsCancelled of those, finished with CANCELLED
 * @param promptTokens prompt tokens of the completed requests
 * @param generatedTokens tokens sampled so far (all requests)
 * @param computedTokens tokens run through the model (prompts, generated tokens, and recomputation after preemption)
 * @param steps backend steps run
 * @param meanBatchSize sequences per step, averaged over steps
 * @param tokensPerSecond generated tokens per second of time spent in steps (idle time excluded)
 * @param running sequences holding KV pages now
 * @param waiting sequences queued (new or preempted)
 * @param preemptions times a running sequence was preempted to free pages
 * @param fullPagesFree free pages of the full-attention pool (idle cached prefix pages included: they are evicted on demand)
 * @param fullPagesUsed pages of the full-attention pool held by sequences
 * @param slidingPagesFree free pages of the sliding-window pool (idle cached pages included)
 * @param slidingPagesUsed pages of the sliding-window pool held by sequences
 * @param cachedTokens prompt tokens served from the prefix cache instead of computed (first admissions)
 * @param fullPagesCached full-attention pages holding a cached prefix page (held or idle; idle ones count as free)
 * @param slidingPagesCached sliding-window pages holding a cached prefix page (held or idle)
 */
public record EngineStats(
    long requestsDone,
    long requestsFailed,
    long requestsCancelled,
    long promptTokens,
    long generatedTokens,
    long computedTokens,
    long steps,
    double meanBatchSize,
    double tokensPerSecond,
    int running,
    int waiting,
    long preemptions,
    int fullPagesFree,
    int fullPagesUsed,
    int slidingPagesFree,
    int slidingPagesUsed,
    long cachedTokens,
    int fullPagesCached,
    int slidingPagesCached) {

  /** True when no sequence holds a page. */
  public boolean poolsFree() {
    return fullPagesUsed == 0 && slidingPagesUsed == 0;
  }
}
