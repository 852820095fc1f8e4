package ai.gptoss.backend;

import java.util.Locale;

/**
 * How much work one engine step carries when the user sets no limit: a token budget (prompt chunks
 * plus one token per decoding sequence, vLLM's {@code max_num_batched_tokens}) and a sequence limit
 * (vLLM's {@code max_num_seqs}). A backend picks the budget it runs best at ({@link Backend#defaultStepBudget}).
 *
 * @param maxTokensPerStep tokens per step
 * @param maxSeqsPerStep sequences per step
 */
public record StepBudget(int maxTokensPerStep, int maxSeqsPerStep) {
  /** The pure-Java backend: steps a CPU finishes in well under a second on small models. */
  public static final StepBudget CPU = new StepBudget(2048, 256);

  private static final long GIB = 1L << 30;

  public StepBudget {
    if (maxTokensPerStep < 1 || maxSeqsPerStep < 1) {
      throw new IllegalArgumentException("step budget must be at least 1 token and 1 sequence, got " + maxTokensPerStep
          + " and " + maxSeqsPerStep);
    }
  }

  /** This budget with each limit that is set (> 0) in its place: a caller's limits over a backend's defaults. */
  public StepBudget override(int maxTokensPerStep, int maxSeqsPerStep) {
    return new StepBudget(maxTokensPerStep > 0 ? maxTokensPerStep : this.maxTokensPerStep,
        maxSeqsPerStep > 0 ? maxSeqsPerStep : this.maxSeqsPerStep);
  }

  /**
   * vLLM's defaults for offline runs (its {@code LLM} class, {@code EngineArgs.get_batch_defaults}): GPUs
   * of at least 70 GiB other than the A100 (H100, H200, MI300X) run 16,384-token steps of up to 1,024
   * sequences; smaller GPUs and the A100 8,192 tokens and 256 sequences (vLLM found larger steps slower
   * on the A100). On an H100 the 1,024 x 1,024 benchmark runs its decode at batch 1,024 only with the
   * larger limit (BENCHMARKS.md).
   */
  public static StepBudget forGpu(long totalMemoryBytes, String deviceName) {
    boolean a100 = deviceName != null && deviceName.toLowerCase(Locale.ROOT).contains("a100");
    return totalMemoryBytes >= 70 * GIB && !a100 ? new StepBudget(16384, 1024) : new StepBudget(8192, 256);
  }
}
