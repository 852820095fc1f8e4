package ai.gptoss.backend;

import java.io.Serializable;

/**
 * How one output row picks its token: the one sampling-settings type from a request line or Spark
 * option through {@code GenerationRequest} to the backends.
 *
 * <p>A request carries its settings with {@code counter} 0 ({@link #of}); the engine ignores a request's
 * counter: it numbers the tokens it generates and hands the backend {@code withCounter(n)} for the n-th
 * one (a preempted request recomputes with the same numbers), so a request's draws depend only on its own
 * seed and position.
 *
 * @param temperature 0 means greedy (argmax, ties to the lowest id)
 * @param topP nucleus mass in (0, 1]; 1 disables
 * @param topK keep the k most likely tokens; 0 disables
 * @param seed the request's seed; with {@code counter} it fully determines the random draw, so a
 *     seeded request samples the same tokens whatever shares its batch
 * @param counter index of the token being generated (0 for the first), part of the draw's key
 */
public record SamplingParams(float temperature, float topP, int topK, long seed, int counter) implements Serializable {
  public static SamplingParams greedy() {
    return new SamplingParams(0f, 1f, 0, 0L, 0);
  }

  /** A request's settings (counter 0: the engine sets it per generated token). */
  public static SamplingParams of(float temperature, float topP, int topK, long seed) {
    return new SamplingParams(temperature, topP, topK, seed, 0);
  }

  public boolean isGreedy() {
    return temperature <= 0f || topK == 1;
  }

  public SamplingParams withCounter(int n) {
    return new SamplingParams(temperature, topP, topK, seed, n);
  }

  /** These settings with {@code seed}. */
  public SamplingParams withSeed(long s) {
    return new SamplingParams(temperature, topP, topK, s, counter);
  }

  /**
   * Why these settings cannot sample, named as the request keys name them ({@code temperature},
   * {@code top_p}, {@code top_k}), or null when they can.
   */
  public String problem() {
    if (!(temperature >= 0) || Float.isInfinite(temperature)) {
      return "temperature must be a finite number >= 0, got " + temperature;
    }
    if (!(topP > 0 && topP <= 1)) return "top_p must be in (0, 1], got " + topP;
    if (topK < 0) return "top_k must be >= 0, got " + topK;
    return null;
  }
}
