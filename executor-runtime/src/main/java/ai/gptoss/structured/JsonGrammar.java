package ai.gptoss.structured;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A schema as a byte automaton accepting exactly the compact JSON texts this project generates for it
 * (docs/structured-output.md): no insignificant whitespace; object properties in declared order,
 * required ones always, optional ones may be left out, no others; array items separated by commas
 * within min/maxItems; strings within min/maxLength characters and matching {@code pattern} ({@link BoundedPattern}); numbers
 * as {@link NumberGrammar}; {@code enum}/{@code const} as the compact JSON of their values;
 * {@code anyOf} and type lists as alternatives. Schemas without {@code $ref} have finite depth, so
 * this language is regular; bounded repetition is unrolled.
 *
 * <p>Every text the automaton accepts validates against the schema (the grammar is a subset of what
 * the schema accepts, never a superset).
 */
final class JsonGrammar {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ByteNfa nfa;

  private JsonGrammar(ByteNfa nfa) {
    this.nfa = nfa;
  }

  /** The automaton of {@code format}'s schema; fails (naming the path) for a grammar too large to build. */
  static ByteDfa compile(ResponseFormat format) {
    ByteNfa nfa = new ByteNfa(format.name());
    ByteNfa.Frag root = new JsonGrammar(nfa).value(format.schema(), "$");
    return new ByteDfa(nfa, root.in(), root.out());
  }

  private ByteNfa.Frag value(JsonNode s, String path) {
    if (s.has("anyOf")) {
      JsonNode any = s.get("anyOf");
      List<ByteNfa.Frag> options = new ArrayList<>();
      for (int i = 0; i < any.size(); i++) options.add(value(any.get(i), path + ".anyOf[" + i + "]"));
      return nfa.alt(options.toArray(ByteNfa.Frag[]::new));
    }
    if (s.has("enum") || s.has("const")) {
      List<ByteNfa.Frag> options = new ArrayList<>();
      if (s.has("const")) options.add(nfa.literal(compact(s.get("const"))));
      else for (JsonNode v : s.get("enum")) options.add(nfa.literal(compact(v)));
      return nfa.alt(options.toArray(ByteNfa.Frag[]::new));
    }
    List<String> types = SchemaKeywords.types(s, path);
    List<ByteNfa.Frag> options = new ArrayList<>();
    for (String t : types) options.add(typed(s, t, path, types));
    return options.size() == 1 ? options.get(0) : nfa.alt(options.toArray(ByteNfa.Frag[]::new));
  }

  private ByteNfa.Frag typed(JsonNode s, String type, String path, List<String> types) {
    return switch (type) {
      case "object" -> object(s, path);
      case "array" -> array(s, path);
      case "string" -> string(s, path);
      // "number" covers integers already when both are listed
      case "integer" -> types.contains("number") ? nfa.alt() : NumberGrammar.of(nfa, NumberRange.of(s, path, false));
      case "number" -> NumberGrammar.of(nfa, NumberRange.of(s, path, true));
      case "boolean" -> nfa.alt(nfa.literal("true"), nfa.literal("false"));
      case "null" -> nfa.literal("null");
      default -> throw SchemaKeywords.error(path + ".type", "unsupported type \"" + type + "\"");
    };
  }

  /**
   * {@code {"p1":v1,...}}: properties in declared order, each optional one may be skipped. States
   * {@code none[i]} (nothing written yet) and {@code some[i]} (something written) before property
   * {@code i}; property {@code i}'s fragment is built once, entered from {@code none[i]} directly and
   * from {@code some[i]} after a comma.
   */
  private ByteNfa.Frag object(JsonNode s, String path) {
    List<Map.Entry<String, JsonNode>> props = new ArrayList<>();
    JsonNode p = s.get("properties");
    if (p != null) for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) props.add(it.next());
    Set<String> required = new java.util.HashSet<>();
    if (s.has("required")) s.get("required").forEach(r -> required.add(r.textValue()));
    ByteNfa.Frag open = nfa.literal("{");
    int none = open.out(), some = nfa.newState();
    for (Map.Entry<String, JsonNode> e : props) {
      boolean optional = !required.contains(e.getKey());
      int entry = nfa.newState();
      nfa.epsilon(none, entry);
      ByteNfa.Frag comma = nfa.literal(",");
      nfa.epsilon(some, comma.in());
      nfa.epsilon(comma.out(), entry);
      ByteNfa.Frag member = nfa.seq(nfa.literal(compact(JSON.getNodeFactory().textNode(e.getKey())) + ":"),
          value(e.getValue(), path + ".properties." + e.getKey()));
      nfa.epsilon(entry, member.in());
      int nextNone = nfa.newState(), nextSome = nfa.newState();
      nfa.epsilon(member.out(), nextSome);
      if (optional) {
        nfa.epsilon(none, nextNone);
        nfa.epsilon(some, nextSome);
      }
      none = nextNone;
      some = nextSome;
    }
    ByteNfa.Frag close = nfa.literal("}");
    nfa.epsilon(none, close.in());
    nfa.epsilon(some, close.in());
    return new ByteNfa.Frag(open.in(), close.out());
  }

  /** {@code [i1,i2,...]} with minItems..maxItems items. */
  private ByteNfa.Frag array(JsonNode s, String path) {
    int min = (int) Math.max(0, SchemaKeywords.count(s, "minItems", path));
    int max = (int) SchemaKeywords.count(s, "maxItems", path);
    JsonNode items = s.get("items");
    String itemPath = path + ".items";
    ByteNfa.Frag open = nfa.literal("["), close = nfa.literal("]");
    if (max == 0) return nfa.seq(open, close);
    Supplier<ByteNfa.Frag> item = () -> value(items, itemPath);
    Supplier<ByteNfa.Frag> more = () -> nfa.seq(nfa.literal(","), value(items, itemPath));
    ByteNfa.Frag nonEmpty = nfa.seq(item.get(), nfa.repeat(more, Math.max(0, min - 1), max < 0 ? -1 : max - 1));
    ByteNfa.Frag body = min == 0 ? nfa.optional(nfa.alt(nonEmpty)) : nonEmpty;
    return nfa.seq(open, body, close);
  }

  private ByteNfa.Frag string(JsonNode s, String path) {
    ByteNfa.Frag quote1 = nfa.literal("\""), quote2 = nfa.literal("\"");
    int min = (int) Math.max(0, SchemaKeywords.count(s, "minLength", path));
    int max = (int) SchemaKeywords.count(s, "maxLength", path);
    if (s.has("pattern")) {
      PatternGrammar.Node n = PatternGrammar.parse(s.get("pattern").textValue(), path + ".pattern");
      ByteNfa.Frag body = min == 0 && max < 0 ? PatternGrammar.compile(nfa, n) : BoundedPattern.compile(nfa, n, min, max, path);
      return nfa.seq(quote1, body, quote2);
    }
    return nfa.seq(quote1, nfa.repeat(() -> StringGrammar.anyChar(nfa), min, max), quote2);
  }

  /** Compact JSON text of a value (object keys in their order, strings escaped as Jackson does). */
  static String compact(JsonNode v) {
    try {
      return JSON.writeValueAsString(v);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
