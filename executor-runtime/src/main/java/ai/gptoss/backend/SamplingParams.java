package ai.gptoss.backend;

/**
 * How one output row picks its token.
 *
 * @param temperature 0 means greedy (argmax, ties to the lowest id)
 * @param topP nucleus mass in (0, 1]; 1 disables
 * @param topK keep the k most likely tokens; 0 disables
 * @param seed the request's seed; with {@code counter} it fully determines the random draw, so a
 *     seeded request samples the same tokens whatever shares its batch
 * @param counter index of the token being generated (0 for the first), part of the draw's key
 */
public record SamplingParams(float temperature, float topP, int topK, long seed, int counter) {
  public static SamplingParams greedy() {
    return new SamplingParams(0f, 1f, 0, 0L, 0);
  }

  public boolean isGreedy() {
    return temperature <= 0f || topK == 1;
  }

  public SamplingParams withCounter(int n) {
    return new SamplingParams(temperature, topP, topK, seed, n);
  }
}
