package ai.gptoss.cli;

/**
 * Figures of one {@code bench} run ({@link EngineBench}).
 *
 * @param inputLen mean prompt tokens per request, rounded (shared prefix included)
 * @param outputLen mean tokens generated per request, rounded
 * @param seconds wall time of the measured requests, warm-up excluded
 * @param ttftMeanMs mean time from the start to a request's first sampled token
 * @param decodeStepMedianMs median wall time of the steps that carried no prompt tokens
 * @param maxConcurrent most requests running at once
 * @param fullPages full-attention KV pages of the engine's pool
 * @param slidingPages sliding-window KV pages of the engine's pool
 */
record BenchResult(int prompts, int inputLen, int outputLen, long outputTokens, long inputTokens, double seconds,
    double ttftMeanMs, double ttftP50Ms, double decodeStepMedianMs, double decodeStepMeanMs, int steps,
    int maxConcurrent, int fullPages, int slidingPages, int pageSize) {
  double outputTokensPerSecond() {
    return outputTokens / seconds;
  }

  double totalTokensPerSecond() {
    return (outputTokens + inputTokens) / seconds;
  }
}
