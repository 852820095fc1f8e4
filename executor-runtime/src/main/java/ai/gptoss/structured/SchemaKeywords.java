package ai.gptoss.structured;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that a JSON schema uses only the keywords the grammar enforces, with values of the right
 * shape. Every error names the keyword and its JSON path, e.g. {@code response_format: unsupported
 * keyword "oneOf" at $.properties.x}.
 *
 * <p>Supported: {@code type} (a name or a list of names), {@code enum}, {@code const}, {@code anyOf};
 * objects: {@code properties}, {@code required}, {@code additionalProperties} (true or false; either
 * way only declared properties are generated); arrays: {@code items}, {@code minItems}, {@code
 * maxItems}; strings: {@code minLength}, {@code maxLength}, {@code pattern}; numbers and integers:
 * {@code minimum}, {@code maximum}, {@code exclusiveMinimum}, {@code exclusiveMaximum}. Annotations
 * ({@code title}, {@code description}, {@code $comment}, {@code examples}, {@code default}, and
 * {@code $schema} at the root) are accepted and do not constrain anything.
 */
final class SchemaKeywords {
  private SchemaKeywords() {}

  /** Deepest nesting of schemas accepted (the grammar is unrolled, so depth costs states). */
  static final int MAX_DEPTH = 32;

  static final Set<String> TYPES = Set.of("object", "array", "string", "number", "integer", "boolean", "null");
  private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$comment", "examples", "default");
  private static final Map<String, Set<String>> BY_TYPE = Map.of(
      "object", Set.of("properties", "required", "additionalProperties"),
      "array", Set.of("items", "minItems", "maxItems"),
      "string", Set.of("minLength", "maxLength", "pattern"),
      "number", Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
      "integer", Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"));
  private static final Set<String> GENERAL = Set.of("type", "enum", "const", "anyOf");

  static void check(JsonNode schema) {
    check(schema, "$", 0);
  }

  static IllegalArgumentException error(String path, String what) {
    return new IllegalArgumentException("response_format: " + what + " at " + path);
  }

  private static void check(JsonNode s, String path, int depth) {
    if (!s.isObject()) throw error(path, "a schema must be a JSON object, got " + kind(s));
    if (depth > MAX_DEPTH) throw error(path, "schemas nested deeper than " + MAX_DEPTH + " levels are not supported");
    List<String> types = types(s, path);
    Set<String> allowed = new HashSet<>(GENERAL);
    allowed.addAll(ANNOTATIONS);
    if (depth == 0) allowed.add("$schema");
    for (String t : types) allowed.addAll(BY_TYPE.getOrDefault(t, Set.of()));
    for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (allowed.contains(k)) continue;
      boolean known = BY_TYPE.values().stream().anyMatch(v -> v.contains(k));
      if (known) {
        throw error(path, "keyword \"" + k + "\" does not apply to type " + String.join("/", types.isEmpty() ? List.of("(none)") : types));
      }
      throw error(path, "unsupported keyword \"" + k + "\"");
    }
    boolean literal = s.has("enum") || s.has("const");
    if (s.has("anyOf")) {
      for (String k : List.of("type", "enum", "const")) {
        if (s.has(k)) throw error(path, "keyword \"" + k + "\" next to \"anyOf\" is not supported (put it inside each alternative)");
      }
      JsonNode any = s.get("anyOf");
      if (!any.isArray() || any.isEmpty()) throw error(path + ".anyOf", "\"anyOf\" must be a non-empty array of schemas");
      for (int i = 0; i < any.size(); i++) check(any.get(i), path + ".anyOf[" + i + "]", depth + 1);
      return;
    }
    if (literal) {
      checkLiteral(s, path, types);
      return;
    }
    if (types.isEmpty()) {
      throw error(path, "a schema needs \"type\", \"enum\", \"const\" or \"anyOf\" (a schema without them accepts any value, which has no bounded grammar)");
    }
    if (types.contains("object")) checkObject(s, path, depth);
    if (types.contains("array")) checkArray(s, path, depth);
    if (types.contains("string")) checkString(s, path);
    if (types.contains("number") || types.contains("integer")) NumberRange.of(s, path, types.contains("number"));
  }

  /** The schema's type names, in order; empty when it has no {@code type}. */
  static List<String> types(JsonNode s, String path) {
    JsonNode t = s.get("type");
    if (t == null) return List.of();
    List<String> out = new ArrayList<>();
    if (t.isTextual()) {
      out.add(t.textValue());
    } else if (t.isArray() && !t.isEmpty()) {
      for (JsonNode e : t) {
        if (!e.isTextual()) throw error(path + ".type", "\"type\" must be a type name or a list of them");
        if (out.contains(e.textValue())) throw error(path + ".type", "type \"" + e.textValue() + "\" listed twice");
        out.add(e.textValue());
      }
    } else {
      throw error(path + ".type", "\"type\" must be a type name or a non-empty list of them");
    }
    for (String name : out) {
      if (!TYPES.contains(name)) throw error(path + ".type", "unsupported type \"" + name + "\"");
    }
    return out;
  }

  private static void checkLiteral(JsonNode s, String path, List<String> types) {
    if (s.has("enum") && s.has("const")) throw error(path, "\"enum\" and \"const\" together are not supported");
    for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("type") && !k.equals("enum") && !k.equals("const") && !ANNOTATIONS.contains(k) && !k.equals("$schema")) {
        throw error(path, "keyword \"" + k + "\" next to \"" + (s.has("enum") ? "enum" : "const") + "\" is not supported");
      }
    }
    List<JsonNode> values = new ArrayList<>();
    if (s.has("enum")) {
      JsonNode e = s.get("enum");
      if (!e.isArray() || e.isEmpty()) throw error(path + ".enum", "\"enum\" must be a non-empty array");
      e.forEach(values::add);
    } else {
      values.add(s.get("const"));
    }
    if (types.isEmpty()) return;
    for (int i = 0; i < values.size(); i++) {
      JsonNode v = values.get(i);
      if (types.stream().noneMatch(t -> hasType(v, t))) {
        String where = s.has("enum") ? path + ".enum[" + i + "]" : path + ".const";
        throw error(where, "value " + v + " is not of type " + String.join("/", types));
      }
    }
  }

  /** True when {@code v} is a JSON value of schema type {@code t}. */
  static boolean hasType(JsonNode v, String t) {
    return switch (t) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "number" -> v.isNumber();
      case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0);
      case "boolean" -> v.isBoolean();
      case "null" -> v.isNull();
      default -> false;
    };
  }

  private static void checkObject(JsonNode s, String path, int depth) {
    JsonNode props = s.get("properties");
    if (props != null) {
      if (!props.isObject()) throw error(path + ".properties", "\"properties\" must be an object of schemas");
      for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> p = it.next();
        check(p.getValue(), path + ".properties." + p.getKey(), depth + 1);
      }
    }
    JsonNode req = s.get("required");
    if (req != null) {
      if (!req.isArray()) throw error(path + ".required", "\"required\" must be an array of property names");
      Set<String> seen = new HashSet<>();
      for (JsonNode r : req) {
        if (!r.isTextual()) throw error(path + ".required", "\"required\" must be an array of property names");
        if (!seen.add(r.textValue())) throw error(path + ".required", "property \"" + r.textValue() + "\" listed twice");
        if (props == null || !props.has(r.textValue())) {
          throw error(path + ".required", "required property \"" + r.textValue() + "\" is not declared in \"properties\"");
        }
      }
    }
    JsonNode extra = s.get("additionalProperties");
    if (extra != null && !extra.isBoolean()) {
      throw error(path + ".additionalProperties", "\"additionalProperties\" must be true or false (a schema there is not supported)");
    }
  }

  private static void checkArray(JsonNode s, String path, int depth) {
    JsonNode items = s.get("items");
    if (items == null) throw error(path, "an array needs \"items\" (an array of any values has no bounded grammar)");
    if (!items.isObject()) throw error(path + ".items", "\"items\" must be one schema object (tuple forms are not supported)");
    check(items, path + ".items", depth + 1);
    long min = count(s, "minItems", path);
    long max = count(s, "maxItems", path);
    if (max >= 0 && min > max) throw error(path, "\"minItems\" " + min + " is above \"maxItems\" " + max);
  }

  private static void checkString(JsonNode s, String path) {
    long min = count(s, "minLength", path);
    long max = count(s, "maxLength", path);
    if (max >= 0 && min > max) throw error(path, "\"minLength\" " + min + " is above \"maxLength\" " + max);
    JsonNode p = s.get("pattern");
    if (p != null && !p.isTextual()) throw error(path + ".pattern", "\"pattern\" must be a string");
  }

  /** A non-negative integer keyword's value, -1 when absent. */
  static long count(JsonNode s, String key, String path) {
    JsonNode v = s.get(key);
    if (v == null) return -1;
    if (!v.isIntegralNumber() || v.bigIntegerValue().signum() < 0 || v.bigIntegerValue().bitLength() > 31) {
      throw error(path + "." + key, "\"" + key + "\" must be a non-negative integer below 2^31");
    }
    return v.longValue();
  }

  /** A numeric keyword's value, null when absent. */
  static BigDecimal number(JsonNode s, String key, String path) {
    JsonNode v = s.get(key);
    if (v == null) return null;
    if (!v.isNumber()) throw error(path + "." + key, "\"" + key + "\" must be a number");
    return v.decimalValue();
  }

  private static String kind(JsonNode n) {
    return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }
}
