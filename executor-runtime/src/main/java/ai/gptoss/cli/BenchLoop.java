package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.backend.StepResult;
import ai.gptoss.batch.Progress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * The benchmark's own continuous-batching driver (the general engine scheduler lives elsewhere):
 * every request arrives at time 0; a request is admitted when the full-attention pool can hold its
 * whole prompt and output; each step carries one decode token of every running request plus prompt
 * chunks up to the token budget; sliding-window pages are freed as they leave the window. EOS is
 * ignored: every request generates exactly its output length.
 *
 * <p>A third scheduler beside the {@code Engine}'s and the batch layer's window (issue 18): it stays while it is
 * {@code bench}'s default driver and the published figures (BENCHMARKS.md) come from it. It can go once
 * {@code bench --driver engine} matches its figures on the GPU; the two differ in admission (this loop reserves a
 * request's whole prompt and output up front, the engine grows page tables step by step and preempts).
 */
final class BenchLoop {
  /** Figures of one run. */
  record Result(int prompts, int inputLen, int outputLen, long outputTokens, long inputTokens, double seconds,
      double ttftMeanMs, double ttftP50Ms, double decodeStepMedianMs, double decodeStepMeanMs, int steps,
      int maxConcurrent, int fullPages, int slidingPages, int pageSize) {
    double outputTokensPerSecond() {
      return outputTokens / seconds;
    }

    double totalTokensPerSecond() {
      return (outputTokens + inputTokens) / seconds;
    }
  }

  private static final class Seq {
    final int id;
    final int[] prompt;
    int[] full;
    int[] sliding;
    int fed; // tokens whose KV is written
    int generated;
    int last; // last sampled token
    long firstTokenNanos = -1;

    Seq(int id, int[] prompt) {
      this.id = id;
      this.prompt = prompt;
    }
  }

  private final Backend b;
  private final int pageSize, maxBatchTokens, maxSeqs;

  BenchLoop(Backend b, int pageSize, int maxBatchTokens, int maxSeqs) {
    this.b = b;
    this.pageSize = pageSize;
    this.maxBatchTokens = maxBatchTokens;
    this.maxSeqs = maxSeqs;
  }

  Result run(int n, int inputLen, int outputLen, long seed) {
    int window = b.config().slidingWindow();
    int total = inputLen + outputLen;
    int pagesPerSeq = (total + pageSize - 1) / pageSize;
    int concurrent = Math.min(n, maxSeqs);
    int slidingPerSeq = Math.min(pagesPerSeq, (window + pageSize - 1) / pageSize + 2);
    int slidingPages = concurrent * slidingPerSeq + maxBatchTokens / pageSize + concurrent + 1;
    long budget = b.kvMemoryBudgetBytes(new StepBudget(maxBatchTokens, maxSeqs));
    long slidingBytes = (long) slidingPages * b.kvPageBytes(pageSize, true);
    long fullPageBytes = b.kvPageBytes(pageSize, false);
    int fullPages = (int) Math.min((long) concurrent * pagesPerSeq, Math.max(0, (budget - slidingBytes) / Math.max(1, fullPageBytes)));
    if (fullPages < pagesPerSeq) {
      throw new IllegalArgumentException("the KV budget of " + (budget >> 20) + " MiB cannot hold one request of " + total + " tokens");
    }
    b.allocateKvCache(new KvCacheSpec(pageSize, fullPages, slidingPages));
    Deque<Integer> freeFull = new ArrayDeque<>(), freeSliding = new ArrayDeque<>();
    for (int i = 0; i < fullPages; i++) freeFull.add(i);
    for (int i = 0; i < slidingPages; i++) freeSliding.add(i);

    Deque<Seq> waiting = new ArrayDeque<>();
    int[][] prompts = randomPrompts(b, n, inputLen, seed);
    for (int i = 0; i < n; i++) waiting.add(new Seq(i, prompts[i]));
    List<Seq> running = new ArrayList<>();
    List<Double> ttft = new ArrayList<>();
    List<Double> decodeSteps = new ArrayList<>();
    long outTokens = 0;
    int steps = 0, maxConc = 0;
    long t0 = System.nanoTime();
    Progress bar = new Progress("bench", n, System.err, Progress.onTerminal());
    while (!waiting.isEmpty() || !running.isEmpty()) {
      bar.update(n - waiting.size() - running.size(), outTokens);
      while (!waiting.isEmpty() && running.size() < maxSeqs && freeFull.size() >= pagesPerSeq) {
        Seq s = waiting.poll();
        s.full = new int[pagesPerSeq];
        for (int j = 0; j < pagesPerSeq; j++) s.full[j] = freeFull.poll();
        s.sliding = new int[pagesPerSeq];
        Arrays.fill(s.sliding, -1);
        running.add(s);
      }
      maxConc = Math.max(maxConc, running.size());
      // plan: decode tokens first, then prompt chunks within the token budget
      List<Seq> stepSeqs = new ArrayList<>();
      List<Integer> counts = new ArrayList<>();
      int budgetLeft = maxBatchTokens;
      boolean anyPrefill = false;
      for (Seq s : running) {
        if (s.fed >= s.prompt.length && budgetLeft > 0) {
          stepSeqs.add(s);
          counts.add(1);
          budgetLeft--;
        }
      }
      for (Seq s : running) {
        if (s.fed < s.prompt.length && budgetLeft > 0) {
          int c = Math.min(budgetLeft, s.prompt.length - s.fed);
          stepSeqs.add(s);
          counts.add(c);
          budgetLeft -= c;
          anyPrefill = true;
        }
      }
      int S = stepSeqs.size(), T = maxBatchTokens - budgetLeft;
      int[] tokens = new int[T], positions = new int[T], seqStart = new int[S + 1];
      int[][] fullT = new int[S][], slidT = new int[S][];
      List<Integer> rows = new ArrayList<>();
      List<Seq> rowSeq = new ArrayList<>();
      int t = 0;
      for (int i = 0; i < S; i++) {
        Seq s = stepSeqs.get(i);
        int c = counts.get(i);
        seqStart[i] = t;
        int pos0 = s.fed;
        // free sliding pages that every token of this step has left behind
        for (int j = 0; j < s.sliding.length; j++) {
          if (s.sliding[j] >= 0 && (long) (j + 1) * pageSize <= pos0 - window + 1) {
            freeSliding.add(s.sliding[j]);
            s.sliding[j] = -1;
          }
        }
        for (int q = 0; q < c; q++) {
          int pos = pos0 + q;
          tokens[t] = pos < s.prompt.length ? s.prompt[pos] : s.last;
          positions[t] = pos;
          int lp = pos / pageSize;
          if (s.sliding[lp] < 0) {
            Integer pg = freeSliding.poll();
            if (pg == null) throw new IllegalStateException("sliding KV pool exhausted");
            s.sliding[lp] = pg;
          }
          t++;
        }
        fullT[i] = s.full;
        slidT[i] = s.sliding.clone();
        if (pos0 + c >= s.prompt.length) {
          rows.add(t - 1);
          rowSeq.add(s);
        }
        s.fed += c;
      }
      seqStart[S] = t;
      int[] outRows = rows.stream().mapToInt(Integer::intValue).toArray();
      SamplingParams[] sp = new SamplingParams[outRows.length];
      Arrays.fill(sp, SamplingParams.greedy());
      long s0 = System.nanoTime();
      StepResult r = b.step(new StepBatch(tokens, positions, seqStart, fullT, slidT, outRows, sp, false));
      long s1 = System.nanoTime();
      steps++;
      if (!anyPrefill) decodeSteps.add((s1 - s0) / 1e6);
      for (int i = 0; i < outRows.length; i++) {
        Seq s = rowSeq.get(i);
        s.last = r.sampled()[i];
        s.generated++;
        outTokens++;
        if (s.firstTokenNanos < 0) {
          s.firstTokenNanos = s1;
          ttft.add((s1 - t0) / 1e6);
        }
        if (s.generated >= outputLen) {
          for (int p : s.full) freeFull.add(p);
          for (int j = 0; j < s.sliding.length; j++) if (s.sliding[j] >= 0) freeSliding.add(s.sliding[j]);
          running.remove(s);
        }
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    bar.finish(n, outTokens);
    double[] tt = ttft.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double[] ds = decodeSteps.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return new Result(n, inputLen, outputLen, outTokens, (long) n * inputLen, secs, mean(tt), median(tt), median(ds), mean(ds),
        steps, maxConc, fullPages, slidingPages, pageSize);
  }

  /** The benchmark's prompts: {@code n} x {@code inputLen} ids drawn below harmony's special tokens. */
  static int[][] randomPrompts(Backend b, int n, int inputLen, long seed) {
    return BenchPrompts.random(b.config().vocabSize(), n, inputLen, seed);
  }

  static double mean(double[] v) {
    return v.length == 0 ? Double.NaN : Arrays.stream(v).average().orElse(Double.NaN);
  }

  static double median(double[] v) {
    return v.length == 0 ? Double.NaN : v[v.length / 2];
  }
}
