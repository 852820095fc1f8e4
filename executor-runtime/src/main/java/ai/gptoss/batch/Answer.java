package ai.gptoss.batch;

import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.harmony.Harmony;

/**
 * What one row or line got back, as every entry point reports it: the harmony answer split from the
 * generated ids, the counts, and why there is no (complete) answer.
 *
 * @param finalText content of the {@code final} channel (null when the row failed or the model never got there)
 * @param analysis the reasoning ({@code analysis} channel), or null
 * @param text the whole completion decoded, special tokens spelled out; null when nothing was generated
 * @param finishReason stop, length, error or cancelled
 * @param cachedTokens prompt tokens the engine's prefix cache served (vLLM's num_cached_tokens)
 * @param outputIds generated ids
 * @param error null unless the row failed or a limit cut it off: names the row and what was wrong
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
    String error) {

  /** Whether a limit cut the generation off before the model finished ({@code finish_reason = "length"}, and said so). */
  public boolean truncated() {
    return FinishReason.LENGTH.wireName().equals(finishReason) && error != null;
  }

  /** A row that never reached the engine; {@code error} names it. */
  public static Answer failed(String error, int promptTokens) {
    return new Answer(null, null, null, FinishReason.ERROR.wireName(), promptTokens, 0, 0, new int[0], error);
  }

  /**
   * The answer to {@code request}: its output parsed as harmony ({@link Harmony#completion}, never throws on odd
   * output) and its error, if any, named by {@code label}: the engine's reason (without its {@code request <id>:}
   * prefix), or, for a request with stop tokens that ended with {@code length}, why a limit cut it off
   * ({@link MaxNewTokens#truncation}; requests without stop tokens, {@code ignore_eos}, are meant to run to it).
   *
   * @param label names the row in errors ({@code line 3 (id "x")}, {@code partition 0 row 7})
   * @param harmony parse the output as harmony; false leaves {@code final}, {@code analysis} and {@code text} null
   *     (a model without the harmony vocabulary, whose records carry none of them)
   */
  public static Answer of(String label, GenerationRequest request, GenerationResult r, boolean harmony) {
    int[] out = r.outputIds();
    String finalText = null, analysis = null, text = null;
    if (harmony && out.length > 0) {
      Harmony.Completion c = Harmony.completion(out);
      finalText = c.finalText();
      analysis = c.analysisText();
      text = c.text();
    }
    String error = null;
    if (r.error() != null) {
      error = label + ": " + withoutRequestId(r.error(), request.id());
    } else if (r.finishReason() == FinishReason.LENGTH && !request.stopTokenIds().isEmpty()) {
      error = label + ": " + MaxNewTokens.truncation(request.maxNewTokens(), r.completionTokens());
    }
    return new Answer(finalText, analysis, text, r.finishReason().wireName(), r.promptTokens(), r.completionTokens(),
        r.cachedTokens(), out, error);
  }

  /** The engine's message without its {@code request <id>: } prefix (the label names the row instead). */
  static String withoutRequestId(String error, String requestId) {
    String prefix = "request " + requestId + ": ";
    return error.startsWith(prefix) ? error.substring(prefix.length()) : error;
  }
}
