package ai.gptoss.batch;

import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.structured.ResponseFormat;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The JSON value of an answer whose request has a {@code response_format}: its final message parsed as one JSON
 * value, or null and why not (cut off before its JSON closed, no final message, not JSON, not what the schema's
 * grammar generates). The {@code value} of the records of {@code generate --input} and {@code spark-generate}
 * ({@link ResultRecord}); {@code gptoss()}'s typed value starts from {@link #parse} too.
 *
 * @param json the answer's JSON value, or null
 * @param error null when {@code json} is the answer's value, or when the row failed before there was an answer (its
 *     own error says why); otherwise why there is no value, starting {@value #PREFIX}
 */
public record AnswerValue(JsonNode json, String error) {
  /** Prefix of every message here. */
  public static final String PREFIX = "response_format: ";

  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final AnswerValue NONE = new AnswerValue(null, null);

  /**
   * The value of answer {@code a} to {@code request}: {@link #parse parsed}, then checked against the schema's
   * grammar (exactly the text constrained generation makes: compact, properties in order, within every bound).
   *
   * @return null when {@code request} is null or has no response format (its record gets no {@code value})
   */
  public static AnswerValue of(GenerationRequest request, Answer a) {
    ResponseFormat format = request == null ? null : request.responseFormat();
    if (format == null) return null;
    AnswerValue v = parse(a.finalText(), a.finishReason(), "max_new_tokens=" + MaxNewTokens.describe(request.maxNewTokens()));
    if (v.json() == null) return v;
    String off = format.mismatch(a.finalText());
    return off == null ? v : new AnswerValue(null, PREFIX + "the answer does not follow the schema: " + off);
  }

  /**
   * The final text as one JSON value, or why there is none; no schema check.
   *
   * @param finalText the answer's {@code final} channel, or null when the model never got there
   * @param finishReason stop, length, error or cancelled
   * @param limit what cut a {@code length} row off, for its message ({@code max_new_tokens=64})
   */
  public static AnswerValue parse(String finalText, String finishReason, String limit) {
    if (FinishReason.ERROR.wireName().equals(finishReason) || FinishReason.CANCELLED.wireName().equals(finishReason)) {
      return NONE;
    }
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
    if (FinishReason.LENGTH.wireName().equals(finishReason)) {
      String where = finalText == null ? "; the model had not started its final message" : "";
      return new AnswerValue(null, notJson != null || finalText == null
          ? PREFIX + "the answer ended before its JSON value closed (finish_reason=length, " + limit + where + "); raise "
              + "max_new_tokens"
          : PREFIX + "the answer was cut off after its JSON value (finish_reason=length, " + limit + "); it may be "
              + "partial; raise max_new_tokens");
    }
    if (finalText == null) return new AnswerValue(null, PREFIX + "the answer has no final message to parse");
    if (notJson != null) return new AnswerValue(null, PREFIX + "the answer is not one JSON value: " + notJson);
    return new AnswerValue(node, null);
  }
}
