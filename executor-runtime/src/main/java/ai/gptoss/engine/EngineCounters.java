package ai.gptoss.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An engine's counters and the delivery of its results: the loop thread counts steps and requests
 * that left, and {@link #publish} makes the counters visible before it completes those requests'
 * futures, so that a caller who sees its future done also sees stats that no longer count its pages.
 * Everything but {@link #reject} and {@link #stats} runs on the loop thread.
 */
final class EngineCounters {
  private final Scheduler scheduler;
  private final AtomicLong rejected = new AtomicLong();

  // Loop-thread counters, published through `published` after every change.
  private long done, failed, cancelled, promptTokens, generatedTokens, computedTokens, steps, batchSeqs, busyNanos;
  private volatile EngineStats published;
  private final List<Runnable> toComplete = new ArrayList<>(); // loop thread only

  EngineCounters(Scheduler scheduler) {
    this.scheduler = scheduler;
    publish();
  }

  /** Counts a request refused at the door (any thread): it is done and failed. */
  void reject() {
    rejected.incrementAndGet();
  }

  /** Counts a request that left the engine; its future completes at the next {@link #publish}. */
  void finish(Sequence s, FinishReason reason, String error) {
    s.status = Sequence.Status.FINISHED;
    done++;
    promptTokens += s.promptLen;
    if (reason == FinishReason.ERROR) failed++;
    if (reason == FinishReason.CANCELLED) cancelled++;
    toComplete.add(() -> s.complete(reason, error));
  }

  /** Counts a step that ran: its sequences, tokens computed and tokens sampled. */
  void stepRan(int seqs, int tokens, int sampled) {
    steps++;
    batchSeqs += seqs;
    computedTokens += tokens;
    generatedTokens += sampled;
  }

  /** Adds time spent in a step (ran or failed). */
  void busy(long nanos) {
    busyNanos += nanos;
  }

  /** Whether requests that left wait for their futures to complete. */
  boolean pending() {
    return !toComplete.isEmpty();
  }

  /**
   * Publishes the counters, then completes the futures of requests that left: a caller who sees its
   * future done also sees stats that no longer count its pages.
   */
  EngineStats publish() {
    EngineStats s = snapshot();
    published = s;
    completePending();
    return s;
  }

  /** Completes the futures of requests that left, without publishing (the loop thread is leaving). */
  void completePending() {
    List<Runnable> complete = new ArrayList<>(toComplete);
    toComplete.clear();
    for (Runnable r : complete) r.run();
  }

  /** The loop thread's counters now (not yet published). */
  EngineStats snapshot() {
    PagePool f = scheduler.fullPool(), sl = scheduler.slidingPool();
    return new EngineStats(done, failed, cancelled, promptTokens, generatedTokens, computedTokens, steps,
        steps == 0 ? 0 : (double) batchSeqs / steps, busyNanos == 0 ? 0 : generatedTokens * 1e9 / busyNanos,
        scheduler.running(), scheduler.waiting(), scheduler.preemptions(), f.freePages(), f.usedPages(),
        sl.freePages(), sl.usedPages(), scheduler.cache().hitTokens(), f.cachedPages(), sl.cachedPages());
  }

  /** The published counters with the rejected requests added (any thread). */
  EngineStats stats() {
    EngineStats p = published;
    long r = rejected.get();
    return new EngineStats(p.requestsDone() + r, p.requestsFailed() + r, p.requestsCancelled(), p.promptTokens(),
        p.generatedTokens(), p.computedTokens(), p.steps(), p.meanBatchSize(), p.tokensPerSecond(), p.running(),
        p.waiting(), p.preemptions(), p.fullPagesFree(), p.fullPagesUsed(), p.slidingPagesFree(), p.slidingPagesUsed(), p.cachedTokens(),
        p.fullPagesCached(), p.slidingPagesCached());
  }
}
