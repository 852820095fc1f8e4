package ai.gptoss.spark.typed;

import ai.gptoss.spark.typed.SchemaType.Field;
import ai.gptoss.spark.typed.SchemaType.Kind;
import ai.gptoss.structured.ResponseFormat;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Spark type of a {@code response_format} JSON schema (docs/spark.md, "Typed values"), for the keywords
 * {@link ResponseFormat} accepts:
 * <ul>
 *   <li>{@code object} with {@code properties}: a struct, one field per property in the schema's order; a field is
 *       NOT NULL when it is {@code required} and its schema does not allow {@code null}, nullable otherwise. An
 *       object without {@code properties}: JSON text ({@code "{}"});
 *   <li>{@code array}: {@code array<T>} of its {@code items};
 *   <li>{@code string}: string; {@code integer}: bigint; {@code number}: double; {@code boolean}: boolean;
 *       {@code null}: void (always null);
 *   <li>{@code enum} and {@code const} without {@code type}: the type of their values (strings: string, integers:
 *       bigint, other numbers: double, booleans: boolean; a {@code null} value makes it nullable; objects, arrays
 *       or a mix: JSON text);
 *   <li>a list of types and {@code anyOf}: the alternatives' type when all the non-null ones have the same one
 *       ({@code null} among them makes it nullable: {@code ["string", "null"]} is a nullable string), otherwise JSON
 *       text. An integer alternative and a number one differ (JSON text); a string and an enum of strings do not.
 * </ul>
 * JSON text is a string holding the value's compact JSON ({@code "\"a\""} for the string {@code a}, null for
 * {@code null}). Keywords that only narrow values ({@code minimum}, {@code pattern}, {@code maxItems}, ...),
 * {@code additionalProperties} (only declared properties are generated) and annotations leave the type as it is.
 */
public final class SchemaTypes {
  private SchemaTypes() {}

  /** The Spark type of the format's schema. */
  public static SchemaType of(ResponseFormat format) {
    return derive(format.schema());
  }

  /** The Spark type of {@code schema}, a bare schema that {@link ResponseFormat} accepted. */
  static SchemaType derive(JsonNode s) {
    if (s == null || !s.isObject()) throw new IllegalArgumentException("response_format: a schema must be a JSON object");
    JsonNode anyOf = s.get("anyOf");
    if (anyOf != null) {
      List<SchemaType> alts = new ArrayList<>();
      anyOf.forEach(a -> alts.add(derive(a)));
      return merge(alts);
    }
    JsonNode type = s.get("type");
    if (type != null && type.isArray()) {
      List<SchemaType> alts = new ArrayList<>();
      for (JsonNode t : type) alts.add(ofType(t.asText(), s));
      return merge(alts);
    }
    if (type != null) return ofType(type.asText(), s);
    if (s.has("const")) return values(List.of(s.get("const")));
    List<JsonNode> values = new ArrayList<>();
    if (s.has("enum")) s.get("enum").forEach(values::add);
    return values(values);
  }

  private static SchemaType ofType(String type, JsonNode s) {
    return switch (type) {
      case "string" -> SchemaType.scalar(Kind.STRING, false);
      case "integer" -> SchemaType.scalar(Kind.LONG, false);
      case "number" -> SchemaType.scalar(Kind.DOUBLE, false);
      case "boolean" -> SchemaType.scalar(Kind.BOOLEAN, false);
      case "null" -> SchemaType.scalar(Kind.NULL, true);
      case "object" -> object(s);
      case "array" -> SchemaType.array(derive(s.get("items")), false);
      default -> throw new IllegalArgumentException("response_format: unsupported type \"" + type + "\"");
    };
  }

  private static SchemaType object(JsonNode s) {
    JsonNode props = s.get("properties");
    if (props == null) return SchemaType.scalar(Kind.JSON_TEXT, true);
    Set<String> required = new HashSet<>();
    JsonNode req = s.get("required");
    if (req != null) req.forEach(r -> required.add(r.asText()));
    List<Field> fields = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> p = it.next();
      SchemaType t = derive(p.getValue());
      fields.add(new Field(p.getKey(), required.contains(p.getKey()) ? t : t.orNull()));
    }
    return SchemaType.struct(fields, false);
  }

  /** The type of {@code enum} or {@code const} values. */
  private static SchemaType values(List<JsonNode> values) {
    List<SchemaType> alts = new ArrayList<>();
    for (JsonNode v : values) {
      if (v.isNull()) alts.add(SchemaType.scalar(Kind.NULL, true));
      else if (v.isTextual()) alts.add(SchemaType.scalar(Kind.STRING, false));
      else if (v.isBoolean()) alts.add(SchemaType.scalar(Kind.BOOLEAN, false));
      else if (v.isNumber() && JsonToCatalyst.isWholeLong(v)) alts.add(SchemaType.scalar(Kind.LONG, false));
      else if (v.isNumber()) alts.add(SchemaType.scalar(Kind.DOUBLE, false));
      else alts.add(SchemaType.scalar(Kind.JSON_TEXT, true));
    }
    return merge(alts);
  }

  /** One type for alternatives: theirs when the non-null ones agree (nullable if any allows null), else JSON text. */
  static SchemaType merge(List<SchemaType> alts) {
    boolean nullable = false;
    SchemaType one = null;
    boolean agree = true;
    for (SchemaType t : alts) {
      nullable |= t.nullable();
      if (t.kind() == Kind.NULL) continue;
      SchemaType notNull = new SchemaType(t.kind(), false, t.fields(), t.element());
      if (one == null) one = notNull;
      else agree &= one.equals(notNull);
    }
    if (one == null) return SchemaType.scalar(Kind.NULL, true);
    if (!agree) return SchemaType.scalar(Kind.JSON_TEXT, true);
    return nullable ? one.orNull() : one;
  }
}
