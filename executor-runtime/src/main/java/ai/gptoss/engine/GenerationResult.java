package ai.gptoss.engine;

/**
 * What a request produced.
 *
 * @param outputIds generated ids (a stop token, when one ended the request, is the last)
 * @param cachedTokens prompt tokens served from the prefix cache (vLLM's num_cached_tokens): their K/V
 *     was reused, not computed, when the request was first scheduled
 * @param error null unless {@code finishReason} is ERROR
 * @param queuedNanos time from submission to the first scheduled step
 * @param firstTokenNanos time from submission to the first generated token
 * @param totalNanos time from submission to completion
 */
public record GenerationResult(
    String id,
    int[] outputIds,
    FinishReason finishReason,
    int promptTokens,
    int completionTokens,
    int cachedTokens,
    String error,
    long queuedNanos,
    long firstTokenNanos,
    long totalNanos) {

  public static GenerationResult failed(String id, int promptTokens, String error) {
    return new GenerationResult(id, new int[0], FinishReason.ERROR, promptTokens, 0, 0, error, 0, 0, 0);
  }
}
