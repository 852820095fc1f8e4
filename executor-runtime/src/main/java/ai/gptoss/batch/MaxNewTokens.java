package ai.gptoss.batch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The generation limit per request, and the one default every entry point shares ({@code generate},
 * {@code spark-generate}, {@code tiny-qa-eval}, {@code gptoss()}): {@code auto}, the rest of the model's
 * context (max_model_len minus the prompt), as vLLM's OpenAI server does when a request gives no
 * {@code max_tokens}. A reasoning model spends an unknown number of tokens in its {@code analysis}
 * channel before the {@code final} answer, so any fixed default would cut some rows off; rows end at the
 * model's own stop tokens ({@code <|return|>}, {@code <|call|>}, eos) long before the context is full.
 *
 * <p>A row that a limit cut off is never silent: {@link #truncation} is the message that goes into its
 * {@code error}, next to {@code finish_reason = "length"}.
 */
public final class MaxNewTokens {
  private MaxNewTokens() {}

  /** The default as written on command lines and in options. */
  public static final String AUTO = "auto";

  /** {@link #AUTO} as stored in an int field. */
  public static final int AUTO_VALUE = 0;

  /** Parses {@code auto} or an integer >= 1; {@code where} names the option in the error. */
  public static int parse(String v, String where) {
    String s = v == null ? "" : v.trim();
    if (s.equalsIgnoreCase(AUTO)) return AUTO_VALUE;
    try {
      int n = Integer.parseInt(s);
      if (n >= 1) return n;
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(where + ": expected auto or an integer >= 1, got '" + v + "'");
  }

  /** A batch line's {@code max_new_tokens} ({@code "auto"} or an integer >= 1), or {@code dflt} when absent. */
  public static int fromLine(JsonNode line, int dflt) {
    JsonNode v = line.get("max_new_tokens");
    if (v == null || v.isNull()) return dflt;
    if (v.isTextual() && v.asText().trim().equalsIgnoreCase(AUTO)) return AUTO_VALUE;
    int n = LineFields.intOr(line, "max_new_tokens", dflt);
    if (n < 1) throw new IllegalArgumentException("'max_new_tokens' must be at least 1 (or \"auto\"), got " + n);
    return n;
  }

  /** The limit to put in an engine request: auto runs until the model's context is full. */
  public static int forRequest(int maxNewTokens) {
    return maxNewTokens == AUTO_VALUE ? Integer.MAX_VALUE : maxNewTokens;
  }

  /** {@code auto} or the number. */
  public static String describe(int maxNewTokens) {
    return maxNewTokens == AUTO_VALUE || maxNewTokens == Integer.MAX_VALUE ? AUTO : Integer.toString(maxNewTokens);
  }

  /**
   * Why a request that ended with {@code finish_reason = "length"} has no complete answer.
   *
   * @param requested the request's limit (as {@link #forRequest} gave it)
   * @param completionTokens tokens generated before it was cut off
   */
  public static String truncation(int requested, int completionTokens) {
    if (requested != Integer.MAX_VALUE && completionTokens >= requested) {
      return "cut off by max_new_tokens=" + requested + " before the model finished (finish_reason=length): the answer "
          + "is missing or partial; raise max_new_tokens (default: auto, the rest of the model's context)";
    }
    return "cut off at the end of the model's context after " + completionTokens + " generated tokens, before the model "
        + "finished (finish_reason=length): the answer is missing or partial; shorten the prompt";
  }
}
