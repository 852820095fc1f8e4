package ai.gptoss.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON record of one batch input line, as {@code gptoss generate --input} and {@code spark-generate} write
 * it: {@code id} (as the line gave it, or null), {@code output_ids}, {@code finish_reason}, {@code prompt_tokens},
 * {@code completion_tokens}, {@code cached_tokens}, {@code error}, and with harmony fields {@code final},
 * {@code analysis} and {@code text}.
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

  /** {@link #of} as one line of JSON text (no newline). */
  public static String line(JsonNode id, Answer a, boolean harmonyFields) {
    try {
      return JSON.writeValueAsString(of(id, a, harmonyFields));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
