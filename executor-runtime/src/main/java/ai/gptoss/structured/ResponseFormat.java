package ai.gptoss.structured;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Objects;

/**
 * A request's {@code response_format}: the JSON schema its final answer must follow.
 *
 * <p>Accepted forms: OpenAI's {@code {"type": "json_schema", "json_schema": {"name": ..., "schema":
 * {...}}}} ({@code strict} and {@code description} there are accepted and ignored), and a bare
 * schema. Only the keywords that the token-level grammar enforces exactly are accepted (see
 * {@link SchemaKeywords} and docs/structured-output.md); any other fails here, naming the keyword and
 * its JSON path, so that a query fails when it is planned rather than row by row.
 *
 * <p>Two formats are equal when their names and schemas are equal as JSON values; {@link #key()}
 * is the canonical text (sorted keys) used to cache compiled grammars.
 */
public final class ResponseFormat implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  /** Recently parsed formats by their JSON text: a batch's lines usually share one schema. */
  private static final java.util.Map<String, ResponseFormat> RECENT = new java.util.LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<String, ResponseFormat> e) {
      return size() > 64;
    }
  };

  /** The name given to a bare schema without a {@code title}. */
  public static final String DEFAULT_NAME = "response";

  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final ObjectMapper CANONICAL =
      JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

  private final String name;
  private final JsonNode schema; // Jackson's trees are Serializable (spark-generate ships request defaults)
  private final String key;
  /** The grammar {@link #mismatch} checks against, built at its first call (not shipped: rebuilt where used). */
  private transient volatile ByteDfa grammar;

  private ResponseFormat(String name, JsonNode schema) {
    this.name = name;
    this.schema = schema;
    try {
      this.key = CANONICAL.writeValueAsString(CANONICAL.treeToValue(schema, Object.class));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Parses and checks a response format.
   *
   * @throws IllegalArgumentException for malformed JSON, a wrapper without a schema, or a schema that
   *     uses a keyword or value the grammar cannot enforce (the message names it and its path)
   */
  public static ResponseFormat parse(String json) {
    if (json == null || json.isBlank()) throw new IllegalArgumentException("response_format: empty; give a JSON schema");
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("response_format: not valid JSON: " + e.getOriginalMessage(), e);
    }
    return of(root);
  }

  /** As {@link #parse(String)}, from an already parsed JSON value. */
  public static ResponseFormat of(JsonNode root) {
    String text = root == null ? null : root.toString();
    if (text != null) {
      synchronized (RECENT) {
        ResponseFormat known = RECENT.get(text);
        if (known != null) return known;
      }
    }
    ResponseFormat f = build(root);
    synchronized (RECENT) {
      RECENT.put(text, f);
    }
    return f;
  }

  private static ResponseFormat build(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("response_format: expected a JSON object (a schema or {\"type\": \"json_schema\", ...}), got "
          + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
    }
    JsonNode type = root.get("type");
    if (type != null && type.isTextual() && type.textValue().equals("json_schema")) return wrapped(root);
    if (type != null && type.isTextual() && (type.textValue().equals("json_object") || type.textValue().equals("text"))) {
      throw new IllegalArgumentException("response_format: type \"" + type.textValue()
          + "\" is not supported; give {\"type\": \"json_schema\", \"json_schema\": {\"name\": ..., \"schema\": {...}}} or a bare JSON schema");
    }
    SchemaKeywords.check(root);
    JsonNode title = root.get("title");
    String name = title != null && title.isTextual() && !title.textValue().isBlank() ? title.textValue() : DEFAULT_NAME;
    return checked(new ResponseFormat(name, root.deepCopy()));
  }

  /** Builds the grammar once, so that what only building finds (a pattern outside the subset, a grammar too large) fails here too. */
  private static ResponseFormat checked(ResponseFormat f) {
    JsonGrammar.compile(f);
    return f;
  }

  private static ResponseFormat wrapped(JsonNode root) {
    root.fieldNames().forEachRemaining(f -> {
      if (!f.equals("type") && !f.equals("json_schema")) {
        throw new IllegalArgumentException("response_format: unknown key \"" + f + "\" at $; expected \"type\" and \"json_schema\"");
      }
    });
    JsonNode js = root.get("json_schema");
    if (js == null || !js.isObject()) {
      throw new IllegalArgumentException("response_format: \"json_schema\" must be an object with \"name\" and \"schema\"");
    }
    js.fieldNames().forEachRemaining(f -> {
      if (!f.equals("name") && !f.equals("schema") && !f.equals("strict") && !f.equals("description")) {
        throw new IllegalArgumentException("response_format: unknown key \"" + f
            + "\" at $.json_schema; expected \"name\", \"schema\", \"strict\" or \"description\"");
      }
    });
    JsonNode name = js.get("name");
    if (name == null || !name.isTextual() || name.textValue().isBlank()) {
      throw new IllegalArgumentException("response_format: $.json_schema.name must be a non-empty string");
    }
    JsonNode schema = js.get("schema");
    if (schema == null || !schema.isObject()) {
      throw new IllegalArgumentException("response_format: $.json_schema.schema must be a JSON schema object");
    }
    SchemaKeywords.check(schema);
    return checked(new ResponseFormat(name.textValue(), schema.deepCopy()));
  }

  /** The schema the final answer follows (a copy-safe tree: do not modify). */
  public JsonNode schema() {
    return schema;
  }

  /** The format's name ({@code json_schema.name}, else the schema's {@code title}, else {@value #DEFAULT_NAME}). */
  public String name() {
    return name;
  }

  /** The schema as canonical JSON text (keys sorted, no whitespace): the cache key of its grammar. */
  public String key() {
    return key;
  }

  /**
   * Null when {@code answer} is exactly a text the schema's grammar generates (compact JSON, properties in the
   * declared order, within every bound); otherwise where it leaves the grammar, for messages
   * ({@code at character 6 ("}")}, {@code it ends before its value is complete}). Thread-safe.
   */
  public String mismatch(String answer) {
    ByteDfa dfa = grammar;
    if (dfa == null) grammar = dfa = JsonGrammar.compile(this);
    byte[] b = answer.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int state = dfa.start();
    for (int i = 0; i < b.length; i++) {
      state = dfa.next(state, b[i] & 0xff);
      if (state == ByteDfa.DEAD) {
        int start = i;
        while (start > 0 && (b[start] & 0xC0) == 0x80) start--; // the character the byte belongs to
        String before = new String(b, 0, start, java.nio.charset.StandardCharsets.UTF_8);
        String rest = new String(b, start, b.length - start, java.nio.charset.StandardCharsets.UTF_8);
        return "at character " + before.codePointCount(0, before.length()) + " (\""
            + rest.substring(0, rest.offsetByCodePoints(0, Math.min(8, rest.codePointCount(0, rest.length())))) + "\")";
      }
    }
    return dfa.accepting(state) ? null : "it ends before its value is complete";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ResponseFormat r && r.name.equals(name) && r.key.equals(key);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, key);
  }

  @Override
  public String toString() {
    return "ResponseFormat[" + name + ": " + key + "]";
  }
}
