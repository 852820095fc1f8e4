package ai.gptoss.batch;

import ai.gptoss.engine.GenerationRequest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON record of one batch input line, as {@code gptoss generate --input} and {@code spark-generate} write
 * it: {@code id} (as the line gave it, or null), {@code output_ids}, {@code finish_reason}, {@code prompt_tokens},
 * {@code completion_tokens}, {@code cached_tokens}, {@code error}, and with harmony fields {@code final},
 * {@code analysis} and {@code text}, and for a line whose request has a {@code response_format} its {@code value}
 * ({@link AnswerValue}: the answer's JSON value; null, with the error saying why, when there is none).
 */
public final class ResultRecord {
  private ResultRecord() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * @param id the line's {@code id} value, or null
   * @param harmonyFields add {@code final}, {@code analysis} and {@code text}
   */
  public static ObjectNode of(JsonNode id, Answer a, boolean harmonyFields) {
    ObjectNode o = JSON.createObjectNode();
    if (id == null) o.putNull("id");
    else o.set("id", id);
    ArrayNode ids = o.putArray("output_ids");
    for (int t : a.outputIds()) ids.add(t);
    o.put("finish_reason", a.finishReason());
    o.put("prompt_tokens", a.promptTokens());
    o.put("completion_tokens", a.completionTokens());
    o.put("cached_tokens", a.cachedTokens());
    if (a.error() == null) o.putNull("error");
    else o.put("error", a.error());
    if (harmonyFields) {
      o.put("final", a.finalText());
      o.put("analysis", a.analysis());
      o.put("text", a.text());
    }
    return o;
  }

  /**
   * The record of input line {@code line} that ran as {@code request} (null when it could not run): as
   * {@link #of(JsonNode, Answer, boolean)}, plus {@code value} when the request has a response format, whose
   * error (naming the line) then replaces the answer's.
   */
  public static ObjectNode of(RequestLine.Parsed line, GenerationRequest request, Answer a, boolean harmonyFields) {
    ObjectNode o = of(line.id(), a, harmonyFields);
    AnswerValue v = AnswerValue.of(request, a);
    if (v != null) {
      if (v.error() != null) o.put("error", line.where() + ": " + v.error());
      o.set("value", v.json() == null ? NullNode.getInstance() : v.json());
    }
    return o;
  }

  /** {@link #of(RequestLine.Parsed, GenerationRequest, Answer, boolean)} as one line of JSON text (no newline). */
  public static String line(RequestLine.Parsed line, GenerationRequest request, Answer a, boolean harmonyFields) {
    return text(of(line, request, a, harmonyFields));
  }

  /** {@link #of(JsonNode, Answer, boolean)} as one line of JSON text (no newline). */
  public static String line(JsonNode id, Answer a, boolean harmonyFields) {
    return text(of(id, a, harmonyFields));
  }

  private static String text(ObjectNode o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
