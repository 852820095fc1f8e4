package ai.gptoss.spark;

/**
 * Which resident engine serves a call: one per model, device, precision and batching limits in each
 * executor JVM.
 *
 * @param model the {@code model} option ("" for the embedded tiny-qa)
 * @param device "cpu" or "cuda:N" (N = the GPU address Spark assigned the task)
 * @param precision the CUDA backend's precision (exact, balanced, fast)
 * @param maxSeqs the engine's sequence limit per step
 * @param maxBatchedTokens the engine's token budget per step
 */
record EngineKey(String model, String device, String precision, int maxSeqs, int maxBatchedTokens) {
  String modelDisplay() {
    return model.isEmpty() ? "embedded tiny-qa" : model;
  }
}
