package ai.gptoss.backend;

import ai.gptoss.model.ModelConfig;

/**
 * Executes forward steps of one GPT-OSS model. A backend owns the weights and the storage of the KV
 * pages; which page belongs to which sequence is decided by the engine and passed in each
 * {@link StepBatch}. The pure-Java backend is the reference for every other backend.
 */
public interface Backend extends AutoCloseable {
  ModelConfig config();

  /** A short name for logs and reports ("cpu", "cuda:0"). */
  String name();

  /** Bytes one KV page of {@code pageSize} tokens takes across all layers of one attention type. */
  default long kvPageBytes(int pageSize, boolean sliding) {
    ModelConfig c = config();
    int layers = sliding ? c.numSlidingLayers() : c.numFullLayers();
    return 2L * layers * pageSize * c.kvDim() * kvBytesPerElement();
  }

  /** 4 for float32 KV (CPU), 2 for bf16 (CUDA). */
  int kvBytesPerElement();

  /**
   * Bytes this backend can give the KV cache after its weights and the buffers that steps of up to
   * {@code step} need (a budget, not an allocation).
   */
  long kvMemoryBudgetBytes(StepBudget step);

  /**
   * The step budget the engine uses when its caller sets none ({@code EngineConfig}'s zeros): the
   * pure-Java backend's small steps unless a backend knows better (the CUDA backend follows vLLM's
   * defaults for its GPU).
   */
  default StepBudget defaultStepBudget() {
    return StepBudget.CPU;
  }

  /** Creates the KV page pools. Called once, before the first step. */
  void allocateKvCache(KvCacheSpec spec);

  /**
   * Runs one step: appends the batch's new tokens' K and V to their pages, computes logits at the
   * batch's output rows and samples one token for each.
   */
  StepResult step(StepBatch batch);

  @Override
  void close();
}
