package ai.gptoss.engine;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one sequence through a backend with a private, contiguous page table: the simplest driver of
 * {@link Backend#step}, used for conformance checks (teacher-forced logits at every position) and as
 * the baseline the batching engine is compared with.
 */
public final class SingleSequence {
  private static final int PAGE = 16;

  private final Backend backend;
  private final int[] table;
  private int length;

  /** Allocates the backend's KV pools for one sequence of up to {@code maxTokens} tokens. */
  public SingleSequence(Backend backend, int maxTokens) {
    this.backend = backend;
    int pages = (maxTokens + PAGE - 1) / PAGE;
    backend.allocateKvCache(new KvCacheSpec(PAGE, pages, pages));
    table = new int[pages];
    for (int i = 0; i < pages; i++) table[i] = i;
  }

  /**
   * Feeds {@code tokens}; returns the logits at every fed position when {@code allLogits}, else at the
   * last one only.
   */
  public StepResult feed(int[] tokens, boolean allLogits, SamplingParams sampling) {
    int n = tokens.length;
    int[] positions = new int[n];
    for (int i = 0; i < n; i++) positions[i] = length + i;
    int[] rows;
    if (allLogits) {
      rows = new int[n];
      for (int i = 0; i < n; i++) rows[i] = i;
    } else {
      rows = new int[] {n - 1};
    }
    SamplingParams[] sp = new SamplingParams[rows.length];
    for (int i = 0; i < rows.length; i++) sp[i] = sampling;
    StepBatch b = new StepBatch(tokens, positions, new int[] {0, n}, new int[][] {table}, new int[][] {table}, rows, sp,
        true);
    StepResult r = backend.step(b);
    length += n;
    return r;
  }

  /** Greedy or sampled generation after {@code prompt}; stops at a stop id (included) or the limit. */
  public List<Integer> generate(int[] prompt, int maxNewTokens, SamplingParams sampling, List<Integer> stopIds) {
    List<Integer> out = new ArrayList<>();
    StepResult r = feed(prompt, false, sampling.withCounter(0));
    for (int n = 0; n < maxNewTokens; n++) {
      int next = r.sampled()[0];
      out.add(next);
      if (stopIds.contains(next) || n + 1 == maxNewTokens) break;
      r = feed(new int[] {next}, false, sampling.withCounter(n + 1));
    }
    return out;
  }
}
