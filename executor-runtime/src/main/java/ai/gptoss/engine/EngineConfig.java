package ai.gptoss.engine;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.model.ModelConfig;

/**
 * How the engine schedules and how large its KV pools are. Zero means "derive it": {@link #resolve}
 * takes the step budget ({@code maxTokensPerStep}, {@code maxSeqsPerStep}) from the backend
 * ({@link Backend#defaultStepBudget}: vLLM's offline defaults on a GPU), the prefill chunk from the
 * step budget, the pools from the backend's memory budget and the max model length from the model.
 *
 * @param pageSize tokens per KV page
 * @param maxTokensPerStep token budget of one step (prefill chunks plus decode tokens; 0: the backend's)
 * @param maxSeqsPerStep most sequences in one step (0: the backend's)
 * @param prefillChunkSize most prompt tokens one sequence computes in one step (0: the step's budget)
 * @param fullPages pages in the full-attention pool (0: from the budget)
 * @param slidingPages pages in the sliding-window pool (0: from the budget)
 * @param maxModelLen most tokens (prompt + generated) of one sequence (0: max_position_embeddings)
 * @param prefixCaching reuse the K/V pages of prompt prefixes computed before (automatic prefix caching,
 *     see {@link PrefixCache}); outputs are the same either way
 */
public record EngineConfig(
    int pageSize,
    int maxTokensPerStep,
    int maxSeqsPerStep,
    int prefillChunkSize,
    int fullPages,
    int slidingPages,
    int maxModelLen,
    boolean prefixCaching) {

  public static final int DEFAULT_PAGE_SIZE = 16;

  public EngineConfig {
    positive("pageSize", pageSize);
    nonNegative("maxTokensPerStep", maxTokensPerStep);
    nonNegative("maxSeqsPerStep", maxSeqsPerStep);
    nonNegative("prefillChunkSize", prefillChunkSize);
    nonNegative("fullPages", fullPages);
    nonNegative("slidingPages", slidingPages);
    nonNegative("maxModelLen", maxModelLen);
  }

  /** Pages of 16 tokens, prefix caching on; everything else derived by {@link #resolve}. */
  public static EngineConfig defaults() {
    return new EngineConfig(DEFAULT_PAGE_SIZE, 0, 0, 0, 0, 0, 0, true);
  }

  public EngineConfig withPageSize(int v) {
    return new EngineConfig(v, maxTokensPerStep, maxSeqsPerStep, prefillChunkSize, fullPages, slidingPages, maxModelLen, prefixCaching);
  }

  /** Sets the step token budget (0: the backend's); a prefill chunk set before is capped to it. */
  public EngineConfig withMaxTokensPerStep(int v) {
    int chunk = prefillChunkSize > 0 && v > 0 ? Math.min(prefillChunkSize, v) : prefillChunkSize;
    return new EngineConfig(pageSize, v, maxSeqsPerStep, chunk, fullPages, slidingPages, maxModelLen, prefixCaching);
  }

  public EngineConfig withMaxSeqsPerStep(int v) {
    return new EngineConfig(pageSize, maxTokensPerStep, v, prefillChunkSize, fullPages, slidingPages, maxModelLen, prefixCaching);
  }

  public EngineConfig withPrefillChunkSize(int v) {
    return new EngineConfig(pageSize, maxTokensPerStep, maxSeqsPerStep, v, fullPages, slidingPages, maxModelLen, prefixCaching);
  }

  public EngineConfig withPools(int full, int sliding) {
    return new EngineConfig(pageSize, maxTokensPerStep, maxSeqsPerStep, prefillChunkSize, full, sliding, maxModelLen, prefixCaching);
  }

  public EngineConfig withMaxModelLen(int v) {
    return new EngineConfig(pageSize, maxTokensPerStep, maxSeqsPerStep, prefillChunkSize, fullPages, slidingPages, v, prefixCaching);
  }

  public EngineConfig withPrefixCaching(boolean v) {
    return new EngineConfig(pageSize, maxTokensPerStep, maxSeqsPerStep, prefillChunkSize, fullPages, slidingPages, maxModelLen, v);
  }

  /**
   * Fills in the step budget and the derived sizes for {@code backend} and checks that one sequence can always make
   * progress alone (otherwise preemption could not guarantee completion).
   *
   * <p>Pool split: the sliding pool gets what {@code maxSeqsPerStep} sequences need at once
   * (window/page + 1 pages each, plus one prefill chunk), but at most half the budget; the full pool
   * gets the rest.
   */
  public EngineConfig resolve(Backend backend) {
    ModelConfig c = backend.config();
    StepBudget step = backend.defaultStepBudget().override(this.maxTokensPerStep, this.maxSeqsPerStep);
    int maxTokensPerStep = step.maxTokensPerStep(), maxSeqsPerStep = step.maxSeqsPerStep();
    int maxLen = maxModelLen > 0 ? maxModelLen : c.maxPositionEmbeddings();
    int chunk = prefillChunkSize > 0 ? Math.min(prefillChunkSize, maxTokensPerStep) : maxTokensPerStep;
    int windowPages = SlidingWindowKvManager.maxPagesForChunk(1, c.slidingWindow(), pageSize, maxLen);
    int slidingMin = SlidingWindowKvManager.maxPagesForChunk(chunk, c.slidingWindow(), pageSize, maxLen);
    long budget = backend.kvMemoryBudgetBytes(step);
    long fullBytes = backend.kvPageBytes(pageSize, false);
    long slidingBytes = backend.kvPageBytes(pageSize, true);
    int sliding = slidingPages;
    if (sliding == 0) {
      long want = (long) maxSeqsPerStep * windowPages + slidingMin;
      if (slidingBytes > 0) want = Math.min(want, Math.max(slidingMin, budget / 2 / slidingBytes));
      sliding = (int) Math.min(want, Integer.MAX_VALUE / 2);
    }
    int full = fullPages;
    if (full == 0) {
      long fullMax = (maxLen + (long) pageSize - 1) / pageSize * maxSeqsPerStep;
      long left = budget - (long) sliding * slidingBytes;
      full = (int) Math.min(fullBytes > 0 ? left / fullBytes : fullMax, Math.min(fullMax, 1 << 24));
    }
    if (full < 1) {
      throw new IllegalArgumentException("KV budget of " + budget + " bytes (" + backend.name() + ", after the buffers of steps of "
          + maxTokensPerStep + " tokens and " + maxSeqsPerStep + " sequences) leaves no full-attention page of " + fullBytes
          + " bytes (pageSize " + pageSize + "): lower the step budget (maxTokensPerStep: Spark's engine.max_batched_tokens,"
          + " generate's --max-tokens-per-step) or give the engine more memory");
    }
    // No sequence outgrows the full pool, so no chunk spans more than that either.
    slidingMin = SlidingWindowKvManager.maxPagesForChunk(chunk, c.slidingWindow(), pageSize,
        (int) Math.min(maxLen, (long) full * pageSize));
    if (c.numSlidingLayers() > 0 && sliding < slidingMin) {
      throw new IllegalArgumentException("slidingPages " + sliding + " is below the " + slidingMin
          + " pages one prefill chunk of " + chunk + " tokens needs with window " + c.slidingWindow());
    }
    return new EngineConfig(pageSize, maxTokensPerStep, maxSeqsPerStep, chunk, full, sliding, maxLen, prefixCaching);
  }

  private static void positive(String name, int v) {
    if (v < 1) throw new IllegalArgumentException("EngineConfig." + name + " must be at least 1, got " + v);
  }

  private static void nonNegative(String name, int v) {
    if (v < 0) throw new IllegalArgumentException("EngineConfig." + name + " must not be negative, got " + v);
  }
}
