package ai.gptoss.spark.typed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The typed value of one answer under {@code response_format}: its final text parsed as one JSON value and turned
 * into the schema's Spark type ({@link JsonToCatalyst}), or null and why not. Executor side.
 *
 * @param value the Catalyst value, or null
 * @param json the same value as parsed JSON (for JSON records: {@code spark-generate}), or null when {@code value} is
 * @param error null when {@code value} is the answer's (or the row failed before there was an answer: its own error
 *     says why); otherwise why there is no value, starting {@code response_format: }
 */
public record TypedAnswer(Object value, JsonNode json, String error) {
  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final TypedAnswer NONE = new TypedAnswer(null, null, null);

  /** Prefix of every message here. */
  public static final String PREFIX = "response_format: ";

  /**
   * @param finalText the answer's {@code final} channel, or null when the model never got there
   * @param finishReason stop, length, error or cancelled
   * @param limit what cut a {@code length} row off, for its message ({@code max_new_tokens=64})
   */
  public static TypedAnswer of(String finalText, String finishReason, SchemaType type, String limit) {
    if ("error".equals(finishReason) || "cancelled".equals(finishReason)) return NONE;
    JsonNode node = null;
    String notJson = null;
    if (finalText != null) {
      try {
        node = JSON.readTree(finalText);
        if (node == null || node.isMissingNode()) notJson = "it is empty";
      } catch (JsonProcessingException e) {
        notJson = e.getOriginalMessage();
      }
    }
    if ("length".equals(finishReason)) {
      String where = finalText == null ? "; the model had not started its final message" : "";
      return new TypedAnswer(null, null, notJson != null || finalText == null
          ? PREFIX + "the answer ended before its JSON value closed (finish_reason=length, " + limit + where + "); raise "
              + "max_new_tokens"
          : PREFIX + "the answer was cut off after its JSON value (finish_reason=length, " + limit + "); it may be "
              + "partial; raise max_new_tokens");
    }
    if (finalText == null) return new TypedAnswer(null, null, PREFIX + "the answer has no final message to parse");
    if (notJson != null) return new TypedAnswer(null, null, PREFIX + "the answer is not one JSON value: " + notJson);
    try {
      return new TypedAnswer(JsonToCatalyst.convert(node, type), node, null);
    } catch (JsonToCatalyst.Mismatch e) {
      return new TypedAnswer(null, null, PREFIX + "the answer does not match the schema " + e.getMessage());
    }
  }
}
