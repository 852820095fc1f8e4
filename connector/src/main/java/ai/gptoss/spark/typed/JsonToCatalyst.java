package ai.gptoss.spark.typed;

import ai.gptoss.spark.typed.SchemaType.Field;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A JSON value as the Catalyst (internal) value of its {@link SchemaType}: {@code InternalRow} for a struct,
 * {@code ArrayData} for an array, {@code UTF8String}, {@code Long}, {@code Double},
 * {@code Boolean}. The value must have the shape of the type (the JSON types and the required properties): one
 * that does not is a {@link Mismatch} naming where, never a wrong or partial value. Properties the schema does not
 * declare have no field and are left out. Other keywords ({@code enum}, {@code minimum}, {@code pattern}, ...) are
 * the engine's constraint to keep, not checked here.
 */
public final class JsonToCatalyst {
  private JsonToCatalyst() {}

  /** A JSON value that does not have the shape of its type; the message says where ({@code $.items[2].price}) and why. */
  public static final class Mismatch extends Exception {
    Mismatch(String path, String message) {
      super("at " + path + ": " + message);
    }
  }

  /** {@code value} as the Catalyst value of {@code type} (null for JSON null where the type allows it). */
  public static Object convert(JsonNode value, SchemaType type) throws Mismatch {
    return convert(value, type, "$");
  }

  private static Object convert(JsonNode v, SchemaType t, String path) throws Mismatch {
    if (v == null || v.isNull() || v.isMissingNode()) {
      if (t.nullable()) return null;
      throw new Mismatch(path, v == null || v.isMissingNode() ? "the required property is missing" : "null is not allowed");
    }
    switch (t.kind()) {
      case JSON_TEXT:
        return UTF8String.fromString(v.toString());
      case STRING:
        if (!v.isTextual()) throw expected(path, "a string", v);
        return UTF8String.fromString(v.textValue());
      case LONG:
        if (!v.isNumber() || !isWholeLong(v)) throw expected(path, "an integer within bigint's range", v);
        return v.isIntegralNumber() ? v.longValue() : (long) v.doubleValue();
      case DOUBLE:
        if (!v.isNumber()) throw expected(path, "a number", v);
        return v.doubleValue();
      case BOOLEAN:
        if (!v.isBoolean()) throw expected(path, "true or false", v);
        return v.booleanValue();
      case NULL:
        throw expected(path, "null", v);
      case STRUCT: {
        if (!v.isObject()) throw expected(path, "an object", v);
        List<Field> fields = t.fields();
        Object[] out = new Object[fields.size()];
        for (int i = 0; i < out.length; i++) {
          Field f = fields.get(i);
          out[i] = convert(v.get(f.name()), f.type(), path + "." + f.name());
        }
        return new GenericInternalRow(out);
      }
      case ARRAY: {
        if (!v.isArray()) throw expected(path, "an array", v);
        Object[] out = new Object[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = convert(v.get(i), t.element(), path + "[" + i + "]");
        return new GenericArrayData(out);
      }
      default:
        throw new IllegalStateException("kind " + t.kind());
    }
  }

  /** A JSON number that is a whole number within {@code long}'s range ({@code 3} and {@code 3.0} are; JSON Schema's integer). */
  static boolean isWholeLong(JsonNode v) {
    if (v.isIntegralNumber()) return v.canConvertToLong();
    double d = v.doubleValue();
    return d == Math.rint(d) && d >= -0x1p63 && d < 0x1p63;
  }

  private static Mismatch expected(String path, String what, JsonNode got) {
    String shown = got.toString();
    if (shown.length() > 40) shown = shown.substring(0, 37) + "...";
    return new Mismatch(path, "expected " + what + ", got " + shown);
  }
}
