package ai.gptoss.engine;

import ai.gptoss.backend.Backend;
import ai.gptoss.model.ModelConfig;

/**
 * How the engine schedules and how large its KV pools are. Zero for {@code fullPages},
 * {@code slidingPages} or {@code maxModelLen} means "derive it": {@link #resolve} fills them from the
 * backend's memory budget and the model config.
 *
 * @param pageSize tokens per KV page
 * @param maxTokensPerStep token budget of one step (prefill chunks plus decode tokens)
 * @param maxSeqsPerStep most sequences in one step
 * @param prefillChunkSize most prompt tokens one sequence computes in one step
 * @param fullPages pages in the full-attention pool (0: from the budget)
 * @param slidingPages pages in the sliding-window pool (0: from the budget)
 * @param maxModelLen most tokens (prompt + generated) of one sequence (0: max_position_embeddings)
 */
public record EngineConfig(
    int pageSize,
    int maxTokensPerStep,
    int maxSeqsPerStep,
    int prefillChunkSize,
    int fullPages,
    int slidingPages,
    int maxModelLen) {

  public static final int DEFAULT_PAGE_SIZE = 16;
  public static final int DEFAULT_MAX_TOKENS_PER_STEP = 2048;
  public static final int DEFAULT_MAX_SEQS_PER_STEP = 256;

  public EngineConfig {
    positive("pageSize", pageSize);
    positive("maxTokensPerStep", maxTokensPerStep);
    positive("maxSeqsPerStep", maxSeqsPerStep);
    positive("prefillChunkSize", prefillChunkSize);
    nonNegative("fullPages", fullPages);
    nonNegative("slidingPages", slidingPages);
    nonNegative("maxModelLen", maxModelLen);
  }

  public static EngineConfig defaults() {
    return new EngineConfig(DEFAULT_PAGE_SIZE, DEFAULT_MAX_TOKENS_PER_STEP, DEFAULT_MAX_SEQS_PER_STEP,
        DEFAULT_MAX_TOKENS_PER_STEP, 0, 0, 0);
  }

  public EngineConfig withPageSize(int v) {
    return new EngineConfig(v, maxTokensPerStep, maxSeqsPerStep, prefillChunkSize, fullPages, slidingPages, maxModelLen);
  }

  /** Sets the step token budget; the prefill chunk is capped to it. */
  public EngineConfig withMaxTokensPerStep(int v) {
    return new EngineConfig(pageSize, v, maxSeqsPerStep, Math.min(prefillChunkSize, v), fullPages, slidingPages,
        maxModelLen);
  }

  public EngineConfig withMaxSeqsPerStep(int v) {
    return new EngineConfig(pageSize, maxTokensPerStep, v, prefillChunkSize, fullPages, slidingPages, maxModelLen);
  }

  public EngineConfig withPrefillChunkSize(int v) {
    return new EngineConfig(pageSize, maxTokensPerStep, maxSeqsPerStep, v, fullPages, slidingPages, maxModelLen);
  }

  public EngineConfig withPools(int full, int sliding) {
    return new EngineConfig(pageSize, maxTokensPerStep, maxSeqsPerStep, prefillChunkSize, full, sliding, maxModelLen);
  }

  public EngineConfig withMaxModelLen(int v) {
    return new EngineConfig(pageSize, maxTokensPerStep, maxSeqsPerStep, prefillChunkSize, fullPages, slidingPages, v);
  }

  /**
   * Fills in the derived sizes for {@code backend} and checks that one sequence can always make
   * progress alone (otherwise preemption could not guarantee completion).
   *
   * <p>Pool split: the sliding pool gets what {@code maxSeqsPerStep} sequences need at once
   * (window/page + 1 pages each, plus one prefill chunk), but at most half the budget; the full pool
   * gets the rest.
   */
  public EngineConfig resolve(Backend backend) {
    ModelConfig c = backend.config();
    int maxLen = maxModelLen > 0 ? maxModelLen : c.maxPositionEmbeddings();
    int chunk = Math.min(prefillChunkSize, maxTokensPerStep);
    int windowPages = SlidingWindowKvManager.maxPagesForChunk(1, c.slidingWindow(), pageSize, maxLen);
    int slidingMin = SlidingWindowKvManager.maxPagesForChunk(chunk, c.slidingWindow(), pageSize, maxLen);
    long budget = backend.kvMemoryBudgetBytes();
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
      throw new IllegalArgumentException("KV budget of " + budget + " bytes leaves no full-attention page of "
          + fullBytes + " bytes (pageSize " + pageSize + ")");
    }
    // No sequence outgrows the full pool, so no chunk spans more than that either.
    slidingMin = SlidingWindowKvManager.maxPagesForChunk(chunk, c.slidingWindow(), pageSize,
        (int) Math.min(maxLen, (long) full * pageSize));
    if (c.numSlidingLayers() > 0 && sliding < slidingMin) {
      throw new IllegalArgumentException("slidingPages " + sliding + " is below the " + slidingMin
          + " pages one prefill chunk of " + chunk + " tokens needs with window " + c.slidingWindow());
    }
    return new EngineConfig(pageSize, maxTokensPerStep, maxSeqsPerStep, chunk, full, sliding, maxLen);
  }

  private static void positive(String name, int v) {
    if (v < 1) throw new IllegalArgumentException("EngineConfig." + name + " must be at least 1, got " + v);
  }

  private static void nonNegative(String name, int v) {
    if (v < 0) throw new IllegalArgumentException("EngineConfig." + name + " must not be negative, got " + v);
  }
}
