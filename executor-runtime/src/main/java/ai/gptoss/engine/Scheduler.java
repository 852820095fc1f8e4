package ai.gptoss.engine;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.TokenMask;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Continuous batching in tokens, after vLLM's scheduler: each sequence only has a number of computed
 * tokens and a number it still needs; a step is a token budget and a sequence limit filled with
 * (1) running sequences that decode (one token each), (2) running sequences that continue a chunked
 * prefill, (3) waiting sequences, oldest first, whose first chunk fits; with prefix caching on, a
 * waiting sequence whose next uncached prompt page another sequence is computing waits for it instead
 * of computing it too ({@link InFlightPrefixes}). Finished sequences leave after the step that
 * finished them.
 *
 * <p>When a pool cannot give a running sequence its next pages, the newest running sequence is
 * preempted: its pages are freed and it goes back to the front of the queue, to recompute its prompt
 * and everything it generated so far later (sampling is keyed on the generated token's index, so
 * the recomputed sequence continues exactly as it would have). No new sequence joins in a step that
 * preempted. A sequence alone always fits (the engine checks its length against the pools), so
 * every request completes.
 *
 * <p>Single-threaded: only the engine loop calls it.
 */
final class Scheduler {
  /** A sequence that left the engine in {@link #update}; its pages are already free. {@code error}: why, for ERROR. */
  record Finished(Sequence seq, FinishReason reason, String error) {}

  private final EngineConfig cfg;
  private final KvManager full;
  private final KvManager sliding;
  private final PrefixCache cache;
  private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
  private final List<Sequence> running = new ArrayList<>(); // admission order, oldest first
  private long preemptions;

  Scheduler(EngineConfig resolved, int slidingWindow) {
    this.cfg = resolved;
    this.full = new FullAttentionKvManager(new PagePool("full-attention", resolved.fullPages()), resolved.pageSize());
    this.sliding = new SlidingWindowKvManager(new PagePool("sliding-window", resolved.slidingPages()),
        resolved.pageSize(), slidingWindow);
    this.cache = new PrefixCache(full, sliding, slidingWindow, resolved.prefixCaching());
  }

  PrefixCache cache() {
    return cache;
  }

  PagePool fullPool() {
    return full.pool;
  }

  PagePool slidingPool() {
    return sliding.pool;
  }

  int running() {
    return running.size();
  }

  int waiting() {
    return waiting.size();
  }

  long preemptions() {
    return preemptions;
  }

  boolean hasWork() {
    return !running.isEmpty() || !waiting.isEmpty();
  }

  void add(Sequence s) {
    s.status = Sequence.Status.WAITING;
    waiting.addLast(s);
  }

  /** Every sequence still in the engine, running first. */
  List<Sequence> all() {
    List<Sequence> out = new ArrayList<>(running);
    out.addAll(waiting);
    return out;
  }

  /** Takes {@code s} out of the engine (cancelled or failed) and frees its pages. */
  void remove(Sequence s) {
    running.remove(s);
    waiting.remove(s);
    freePages(s);
  }

  ScheduledStep schedule() {
    int budget = cfg.maxTokensPerStep();
    List<Sequence> plan = new ArrayList<>(); // in batch order; each with its token count in Sequence.planned
    int preemptedHere = 0;
    // Decodes first, then continuing prefills, each oldest first.
    List<Sequence> order = new ArrayList<>();
    for (Sequence s : running) if (s.remaining() == 1) order.add(s);
    for (Sequence s : running) if (s.remaining() > 1) order.add(s);
    for (Sequence s : order) {
      if (budget == 0 || plan.size() == cfg.maxSeqsPerStep()) break;
      if (s.status != Sequence.Status.RUNNING) continue; // preempted in this loop
      int n = Math.min(s.remaining(), Math.min(budget, cfg.prefillChunkSize()));
      boolean victimIsSelf = false;
      while (!fits(s, n)) {
        Sequence victim = running.get(running.size() - 1);
        if (victim.planned > 0) {
          budget += victim.planned;
          victim.planned = 0;
          plan.remove(victim);
        }
        preempt(victim);
        preemptedHere++;
        if (victim == s) {
          victimIsSelf = true;
          break;
        }
      }
      if (victimIsSelf) continue;
      grow(s, n);
      s.planned = n;
      plan.add(s);
      budget -= n;
    }
    if (preemptedHere == 0) budget = admit(plan, budget);
    return build(plan, preemptedHere);
  }

  /**
   * Admits waiting sequences, oldest first, while the budget and the sequence limit allow and the next
   * one fits. With prefix caching on, a sequence whose first uncached page another sequence is
   * computing is deferred ({@link InFlightPrefixes}): it keeps its place in the queue and the ones
   * behind it are considered. Returns the budget left.
   */
  private int admit(List<Sequence> plan, int budget) {
    InFlightPrefixes inFlight = null;
    if (cache.enabled() && !waiting.isEmpty()) {
      inFlight = new InFlightPrefixes(cfg.pageSize());
      for (Sequence r : running) inFlight.add(r);
    }
    for (var it = waiting.iterator(); it.hasNext() && budget > 0 && plan.size() < cfg.maxSeqsPerStep(); ) {
      Sequence s = it.next();
      if (inFlight != null && inFlight.stillDeferred(s)) continue;
      // A waiting sequence holds no page; it starts where the prefix cache leaves it.
      PrefixCache.Hit hit = cache.find(s);
      if (inFlight != null && inFlight.defers(s, hit)) continue;
      int start = hit.pages() * cfg.pageSize();
      int n = Math.min(s.length() - start, Math.min(budget, cfg.prefillChunkSize()));
      if (!cache.fits(hit, start + n)) break;
      it.remove();
      s.status = Sequence.Status.RUNNING;
      running.add(s);
      cache.acquire(s, hit);
      grow(s, n);
      s.planned = n;
      plan.add(s);
      budget -= n;
      if (inFlight != null) inFlight.add(s);
    }
    return budget;
  }

  private boolean fits(Sequence s, int n) {
    int end = s.numComputed + n;
    return full.pagesToGrow(s.fullPages, end) <= full.pool.freePages()
        && sliding.pagesToGrow(s.slidingPages, end) <= sliding.pool.freePages();
  }

  private void grow(Sequence s, int n) {
    full.grow(s.fullPages, s.numComputed + n);
    sliding.grow(s.slidingPages, s.numComputed + n);
  }

  private void preempt(Sequence s) {
    running.remove(s);
    freePages(s);
    s.numComputed = 0;
    s.registeredPages = 0;
    s.preemptions++;
    s.status = Sequence.Status.WAITING;
    waiting.addFirst(s);
    preemptions++;
  }

  private void freePages(Sequence s) {
    full.freeAll(s.fullPages);
    sliding.freeAll(s.slidingPages);
  }

  private ScheduledStep build(List<Sequence> seqs, int preempted) {
    int total = 0;
    for (Sequence s : seqs) total += s.planned;
    int[] tokens = new int[total], positions = new int[total], seqStart = new int[seqs.size() + 1];
    int[][] fullTables = new int[seqs.size()][], slidingTables = new int[seqs.size()][];
    int[] counts = new int[seqs.size()];
    int[] rows = new int[seqs.size()];
    int numRows = 0;
    List<Sequence> rowSeqs = new ArrayList<>(seqs.size());
    List<SamplingParams> sampling = new ArrayList<>(seqs.size());
    TokenMask[] masks = null; // made at the first constrained row
    long now = System.nanoTime();
    int t = 0;
    for (int i = 0; i < seqs.size(); i++) {
      Sequence s = seqs.get(i);
      int n = s.planned;
      s.planned = 0;
      counts[i] = n;
      seqStart[i] = t;
      for (int j = 0; j < n; j++, t++) {
        tokens[t] = s.token(s.numComputed + j);
        positions[t] = s.numComputed + j;
      }
      fullTables[i] = s.fullPages.snapshot();
      slidingTables[i] = s.slidingPages.snapshot();
      if (s.numComputed + n == s.length()) {
        rows[numRows++] = t - 1;
        rowSeqs.add(s);
        sampling.add(s.sampling.withCounter(s.generated()));
        TokenMask m = s.constraint == null ? null : s.constraint.mask();
        if (m != null) {
          if (masks == null) masks = new TokenMask[seqs.size()];
          masks[numRows - 1] = m;
        }
      }
      if (s.firstScheduledNanos == 0) s.firstScheduledNanos = now;
    }
    seqStart[seqs.size()] = t;
    StepBatch batch = new StepBatch(tokens, positions, seqStart, fullTables, slidingTables,
        Arrays.copyOf(rows, numRows), sampling.toArray(new SamplingParams[0]), false,
        masks == null ? null : Arrays.copyOf(masks, numRows));
    return new ScheduledStep(batch, List.copyOf(seqs), counts, List.copyOf(rowSeqs), preempted);
  }

  /**
   * Applies a step's result: advances computed counts, appends sampled tokens, finishes sequences
   * that hit a stop id or a limit (freeing their pages) and releases pages that fell out of the
   * sliding window.
   */
  List<Finished> update(ScheduledStep step, StepResult result) {
    int[] sampled = result.sampled();
    for (int i = 0; i < step.seqs().size(); i++) step.seqs().get(i).numComputed += step.counts()[i];
    // Before any page is freed or falls out of the window: publish the pages this step completed.
    for (Sequence s : step.seqs()) cache.register(s);
    List<Finished> done = new ArrayList<>();
    long now = System.nanoTime();
    for (int r = 0; r < sampled.length; r++) {
      Sequence s = step.rowSeqs().get(r);
      int id = sampled[r];
      s.append(id);
      if (s.firstTokenNanos == 0) s.firstTokenNanos = now;
      FinishReason reason = null;
      String error = null;
      if (s.constraint != null) {
        s.constraint.accept(id);
        if (s.constraint.violation() != null) {
          reason = FinishReason.ERROR;
          error = "request " + s.id() + ": response_format: " + s.constraint.violation();
        }
      }
      if (reason != null) {
        // the constraint failed: nothing more
      } else if (s.request.stopTokenIds().contains(id)) reason = FinishReason.STOP;
      else if (s.generated() >= s.request.maxNewTokens() || s.length() >= s.maxLength) reason = FinishReason.LENGTH;
      if (reason != null) {
        remove(s);
        s.status = Sequence.Status.FINISHED;
        done.add(new Finished(s, reason, error));
      }
    }
    for (Sequence s : step.seqs()) {
      if (s.status != Sequence.Status.RUNNING) continue;
      full.afterStep(s.fullPages, s.numComputed);
      sliding.afterStep(s.slidingPages, s.numComputed);
    }
    return done;
  }

  /** A step failed in the backend: its sequences leave the engine, pages freed. */
  List<Sequence> fail(ScheduledStep step) {
    for (Sequence s : step.seqs()) {
      remove(s);
      s.status = Sequence.Status.FINISHED;
    }
    return step.seqs();
  }
}
