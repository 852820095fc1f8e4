package ai.gptoss.spark.exec;

/**
 * What one row got back: the parsed answer, or why there is none.
 *
 * @param finalText content of the {@code final} channel (null when the row failed or the model never got there)
 * @param analysis the reasoning ({@code analysis} channel), or null
 * @param text the whole completion decoded, special tokens included
 * @param finishReason stop, length, error or cancelled
 * @param cachedTokens prompt tokens the engine's prefix cache served (vLLM's num_cached_tokens)
 * @param outputIds generated ids
 * @param error null unless the row failed or was cut off by a limit: names the row and what was wrong
 * @param device the engine's device ("cpu", "cuda:0"), or null when no engine saw the row
 */
public record Answer(
    String finalText,
    String analysis,
    String text,
    String finishReason,
    int promptTokens,
    int completionTokens,
    int cachedTokens,
    int[] outputIds,
    String error,
    String device) {

  /** Whether a limit cut the generation off before the model finished ({@code finish_reason = "length"}, and said so). */
  public boolean truncated() {
    return "length".equals(finishReason) && error != null;
  }

  /** This answer with {@code error} set (a truncation's message). */
  Answer withError(String message) {
    return new Answer(finalText, analysis, text, finishReason, promptTokens, completionTokens, cachedTokens, outputIds, message, device);
  }

  static Answer failed(String error, int promptTokens, String device) {
    return new Answer(null, null, null, "error", promptTokens, 0, 0, new int[0], error, device);
  }
}
