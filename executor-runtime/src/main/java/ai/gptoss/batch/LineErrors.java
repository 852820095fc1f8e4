package ai.gptoss.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The wording of a batch line's error record, shared by {@code gptoss generate} and {@code spark-generate}
 * so both say the same thing about the same line: {@code line N (id X): what is wrong}.
 */
public final class LineErrors {
  private LineErrors() {}

  /** The error of a blank line: it still gets a record, so that output line N answers input line N. */
  public static final String BLANK = "blank line: no request (every input line gets a record, so output line N "
      + "answers input line N)";

  /** {@code line N}, plus {@code (id X)} when the line has an id (X as JSON: strings quoted). */
  public static String where(long lineNo, JsonNode id) {
    String at = "line " + lineNo;
    return id == null || id.isNull() || !id.isValueNode() ? at : at + " (id " + id + ")";
  }

  /**
   * The error of key {@code key}: {@code 'key' message}, or the message as it is when it already names
   * where it is ({@code messages[0]: ...}, or {@code line.reasoning_effort: ...} for a line's own options).
   */
  public static String ofKey(String key, String message) {
    return message.startsWith(key) || message.startsWith(LINE + ".") ? message : "'" + key + "' " + message;
  }

  /** What {@code HarmonyJson.readChatOptions} calls a line in its errors ({@code line.reasoning_effort: ...}). */
  public static final String LINE = "line";

  /** Why a line is not JSON, without Jackson's source and class details. */
  public static String notJson(JsonProcessingException e) {
    String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    int source = m.indexOf(" (start marker at [Source");
    if (source < 0) source = m.indexOf(" at [Source");
    if (source >= 0) m = m.substring(0, source);
    int nl = m.indexOf('\n');
    if (nl >= 0) m = m.substring(0, nl);
    m = m.replace("end-of-input", "end of line").strip();
    String at = e.getLocation() == null ? "" : " at column " + e.getLocation().getColumnNr();
    return "not valid JSON" + at + ": " + m;
  }
}
