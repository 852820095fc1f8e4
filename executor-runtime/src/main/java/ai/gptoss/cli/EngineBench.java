package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.batch.Progress;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.engine.EngineStats;
import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code gptoss bench}: the benchmark's workload run through the product's {@link Engine} (the scheduler
 * that {@code generate} and the Spark connector use): random prompts ({@link BenchPrompts}), all submitted
 * at time 0, greedy, no stop tokens, so every request generates exactly its output length. The engine sizes
 * its own KV pools and admits requests as pages allow (growing them step by step, preempting when they run
 * out).
 */
final class EngineBench {
  private final Backend b;
  private final EngineConfig config;
  private long preemptions; // of the last run
  private double meanBatch; // of the last run

  /** {@code maxBatchTokens} and {@code maxSeqs}: 0 for the backend's defaults, as in the engine. */
  EngineBench(Backend b, int pageSize, int maxBatchTokens, int maxSeqs, boolean prefixCaching, int sharedPrefixLen) {
    this.b = b;
    this.config = EngineConfig.defaults().withPageSize(pageSize).withMaxTokensPerStep(maxBatchTokens).withMaxSeqsPerStep(maxSeqs)
        .withPrefixCaching(prefixCaching);
    this.sharedPrefixLen = sharedPrefixLen;
  }

  private final int sharedPrefixLen;
  private long cachedTokens, promptTokens; // of the last run

  /** Prompt tokens of the last run served from the prefix cache. */
  long cachedTokens() {
    return cachedTokens;
  }

  /** Share of the last run's prompt tokens served from the prefix cache. */
  double hitRate() {
    return promptTokens == 0 ? 0 : (double) cachedTokens / promptTokens;
  }

  /** Most pages (full + sliding) that held cached prefix pages at any step boundary of the last run. */
  int maxCachedPages() {
    return clockMaxCached;
  }

  /**
   * Most bytes of K/V pages that held cached prefix pages at any step boundary of the last run: full-attention
   * pages x {@link #fullPageBytes} + sliding-window pages x {@link #slidingPageBytes}, counting every page that
   * carries a prefix-cache key, whether a running request references it or it sits idle (evictable). These
   * pages lie inside the engine's pools, which are allocated up front whatever the cache does.
   */
  long maxCachedBytes() {
    return clockMaxCachedBytes;
  }

  /** Bytes of one full-attention K/V page: K and V x full layers x page size x KV heads x head dim x K/V dtype bytes. */
  long fullPageBytes() {
    return b.kvPageBytes(config.pageSize(), false);
  }

  /** Bytes of one sliding-window K/V page (the same over the sliding layers). */
  long slidingPageBytes() {
    return b.kvPageBytes(config.pageSize(), true);
  }

  private int clockMaxCached;
  private long clockMaxCachedBytes;

  /** One prompt per input length: the shared prefix (if any) followed by the prompt's own tokens. */
  private int[][] prompts(int[] inputLens, long seed) {
    int[][] own = BenchPrompts.random(b.config().vocabSize(), inputLens, seed);
    if (sharedPrefixLen == 0) return own;
    int[] prefix = BenchPrompts.random(b.config().vocabSize(), 1, sharedPrefixLen, seed + 7)[0];
    for (int i = 0; i < own.length; i++) {
      int[] p = Arrays.copyOf(prefix, sharedPrefixLen + own[i].length);
      System.arraycopy(own[i], 0, p, sharedPrefixLen, own[i].length);
      own[i] = p;
    }
    return own;
  }

  long preemptions() {
    return preemptions;
  }

  double meanBatch() {
    return meanBatch;
  }

  /**
   * Runs a warm-up of {@code warmup} short requests (0: none), then the measured workload, one request per entry of
   * {@code lengths} (each its own input and output length: {@code bench --random-range-ratio}), in one engine. The
   * result's input and output lengths are the means, rounded.
   */
  BenchResult run(int warmup, BenchPrompts.Lengths lengths, long seed) {
    int n = lengths.count();
    StepClock clock = new StepClock(fullPageBytes(), slidingPageBytes());
    try (Engine e = Engine.start(b, config, clock::afterStep)) {
      EngineConfig resolved = e.config();
      if (warmup > 0) {
        int[][] warm = BenchPrompts.random(b.config().vocabSize(), warmup, 16, seed + 1);
        submitAndWait(e, warm, BenchPrompts.Lengths.fixed(warmup, 16, 4).output(), null);
      }
      EngineStats before = e.stats();
      clock.reset(before);
      long t0 = System.nanoTime();
      Progress bar = new Progress("bench", n, System.err, Progress.onTerminal());
      List<GenerationResult> results = submitAndWait(e, prompts(lengths.input(), seed), lengths.output(), bar);
      cachedTokens = results.stream().mapToLong(GenerationResult::cachedTokens).sum();
      promptTokens = results.stream().mapToLong(GenerationResult::promptTokens).sum();
      clockMaxCached = clock.maxCached();
      clockMaxCachedBytes = clock.maxCachedBytes();
      double seconds = (System.nanoTime() - t0) / 1e9;
      EngineStats after = e.stats();
      preemptions = after.preemptions() - before.preemptions();
      long steps = after.steps() - before.steps();
      meanBatch = steps == 0 ? 0
          : (after.meanBatchSize() * after.steps() - before.meanBatchSize() * before.steps()) / steps;
      double[] ttft = results.stream().mapToDouble(r -> r.firstTokenNanos() / 1e6).sorted().toArray();
      double[] decode = clock.decodeMillisSorted();
      long outTokens = results.stream().mapToLong(GenerationResult::completionTokens).sum();
      long inTokens = lengths.inputTokens() + (long) n * sharedPrefixLen;
      int meanIn = (int) Math.round((double) inTokens / n), meanOut = (int) Math.round((double) lengths.outputTokens() / n);
      return new BenchResult(n, meanIn, meanOut, outTokens, inTokens, seconds, mean(ttft), median(ttft), median(decode),
          mean(decode), (int) steps, clock.maxRunning(), resolved.fullPages(), resolved.slidingPages(), resolved.pageSize());
    }
  }

  /** Mean of {@code v}; NaN when empty. */
  private static double mean(double[] v) {
    return v.length == 0 ? Double.NaN : Arrays.stream(v).average().orElse(Double.NaN);
  }

  /** Median of the sorted {@code v} (the upper one of an even count); NaN when empty. */
  private static double median(double[] v) {
    return v.length == 0 ? Double.NaN : v[v.length / 2];
  }

  /**
   * @param outputLens tokens each request generates
   * @param bar progress to report as results come in, or null
   */
  private static List<GenerationResult> submitAndWait(Engine e, int[][] prompts, int[] outputLens, Progress bar) {
    List<GenerationRequest> reqs = new ArrayList<>(prompts.length);
    for (int i = 0; i < prompts.length; i++) reqs.add(GenerationRequest.greedy("bench-" + i, prompts[i], outputLens[i], List.of()));
    long generated0 = e.stats().generatedTokens();
    List<RequestHandle> handles = e.submitAll(reqs);
    List<GenerationResult> out = new ArrayList<>(handles.size());
    for (int i = 0; i < handles.size(); i++) {
      GenerationResult r = handles.get(i).result().join();
      if (r.finishReason() != FinishReason.LENGTH || r.completionTokens() != outputLens[i]) {
        throw new IllegalStateException("bench request " + r.id() + " ended " + r.finishReason() + " after "
            + r.completionTokens() + " of " + outputLens[i] + " tokens" + (r.error() == null ? "" : ": " + r.error()));
      }
      out.add(r);
      if (bar != null) bar.update(out.size(), e.stats().generatedTokens() - generated0);
    }
    if (bar != null) bar.finish(out.size(), e.stats().generatedTokens() - generated0);
    return out;
  }

  /**
   * Wall time between the engine's step callbacks, so the engine's scheduling counts with its step. A
   * step that computed exactly as many tokens as it sampled carried no prompt tokens: a decode step.
   */
  private static final class StepClock {
    private final List<Double> decodeMillis = new ArrayList<>();
    private final long fullPageBytes, slidingPageBytes;
    private long last, computed, generated, maxCachedBytes;
    private int maxRunning, maxCached;

    StepClock(long fullPageBytes, long slidingPageBytes) {
      this.fullPageBytes = fullPageBytes;
      this.slidingPageBytes = slidingPageBytes;
    }

    synchronized int maxCached() {
      return maxCached;
    }

    synchronized long maxCachedBytes() {
      return maxCachedBytes;
    }

    synchronized double[] decodeMillisSorted() {
      return decodeMillis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    synchronized int maxRunning() {
      return maxRunning;
    }

    synchronized void reset(EngineStats s) {
      decodeMillis.clear();
      last = System.nanoTime();
      computed = s.computedTokens();
      generated = s.generatedTokens();
      maxRunning = 0;
      maxCached = 0;
      maxCachedBytes = 0;
    }

    synchronized void afterStep(EngineStats s) {
      long now = System.nanoTime();
      long dc = s.computedTokens() - computed, dg = s.generatedTokens() - generated;
      if (last != 0 && dc == dg && dc > 0) decodeMillis.add((now - last) / 1e6);
      maxRunning = Math.max(maxRunning, s.running());
      maxCached = Math.max(maxCached, s.fullPagesCached() + s.slidingPagesCached());
      maxCachedBytes = Math.max(maxCachedBytes, s.fullPagesCached() * fullPageBytes + s.slidingPagesCached() * slidingPageBytes);
      last = now;
      computed = s.computedTokens();
      generated = s.generatedTokens();
    }
  }
}
