package ai.gptoss.batch;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed reads of the fields of one batch input line (a JSON object), shared by {@code gptoss generate}
 * and {@code spark-generate} so both accept and reject exactly the same lines. Every failure is an
 * {@link IllegalArgumentException} whose message names the key.
 */
public final class LineFields {
  private LineFields() {}

  /** The integer at {@code key}, or {@code dflt} when absent or null. */
  public static int intOr(JsonNode line, String key, int dflt) {
    JsonNode v = line.get(key);
    if (v == null || v.isNull()) return dflt;
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException("'" + key + "' must be an integer, got " + v);
    }
    return v.asInt();
  }

  /** The number at {@code key}, or {@code dflt} when absent or null. */
  public static double numberOr(JsonNode line, String key, double dflt) {
    JsonNode v = line.get(key);
    if (v == null || v.isNull()) return dflt;
    if (!v.isNumber()) throw new IllegalArgumentException("'" + key + "' must be a number, got " + v);
    return v.asDouble();
  }

  /** A value that must be a 64-bit integer ({@code key} names it in the error). */
  public static long longValue(JsonNode v, String key) {
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new IllegalArgumentException("'" + key + "' must be an integer, got " + v);
    }
    return v.asLong();
  }

  /**
   * A non-empty list of integer token ids (their range is checked where the vocabulary is known). The
   * message does not repeat the key: callers prefix it.
   */
  public static int[] tokenIds(JsonNode v) {
    if (!v.isArray()) throw new IllegalArgumentException("must be a list of token ids, got " + describe(v));
    if (v.isEmpty()) throw new IllegalArgumentException("is empty; give at least one token id");
    int[] ids = new int[v.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonNode x = v.get(i);
      if (!x.isIntegralNumber() || !x.canConvertToInt()) {
        throw new IllegalArgumentException("[" + i + "] is not a token id: " + x);
      }
      ids[i] = x.asInt();
    }
    return ids;
  }

  /** A short rendering of a value for error messages. */
  public static String describe(JsonNode n) {
    if (n == null || n.isMissingNode()) return "nothing";
    String s = n.toString();
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
