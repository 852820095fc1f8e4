package ai.gptoss.spark.typed;

import ai.gptoss.batch.AnswerValue;

/**
 * The typed value of one answer under {@code response_format}: its final text parsed as one JSON value and turned
 * into the schema's Spark type ({@link JsonToCatalyst}), or null and why not (the batch layer's
 * {@link AnswerValue#parse}: the same messages as spark-generate's records). Executor side.
 *
 * @param value the Catalyst value, or null
 * @param error null when {@code value} is the answer's (or the row failed before there was an answer: its own error
 *     says why); otherwise why there is no value, starting {@code response_format: }
 */
public record TypedAnswer(Object value, String error) {
  private static final TypedAnswer NONE = new TypedAnswer(null, null);

  /** Prefix of every message here. */
  public static final String PREFIX = AnswerValue.PREFIX;

  /**
   * @param finalText the answer's {@code final} channel, or null when the model never got there
   * @param finishReason stop, length, error or cancelled
   * @param limit what cut a {@code length} row off, for its message ({@code max_new_tokens=64})
   */
  public static TypedAnswer of(String finalText, String finishReason, SchemaType type, String limit) {
    AnswerValue v = AnswerValue.parse(finalText, finishReason, limit);
    if (v.json() == null) return v.error() == null ? NONE : new TypedAnswer(null, v.error());
    try {
      return new TypedAnswer(JsonToCatalyst.convert(v.json(), type), null);
    } catch (JsonToCatalyst.Mismatch e) {
      return new TypedAnswer(null, PREFIX + "the answer does not match the schema " + e.getMessage());
    }
  }
}
