package ai.gptoss.spark.typed;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Spark type of a JSON schema, and what {@link JsonToCatalyst} needs to turn a JSON value into it. Derived
 * once on the driver ({@link SchemaTypes#derive}) and shipped to the executors with the plan.
 *
 * @param kind what the value is
 * @param nullable whether JSON {@code null} is a valid value here
 * @param fields the properties of a {@link Kind#STRUCT}, in the schema's order (empty otherwise)
 * @param element the items of an {@link Kind#ARRAY} (null otherwise)
 *     (equal types are the same Spark type read the same way: a string and JSON text differ)
 */
public record SchemaType(Kind kind, boolean nullable, List<Field> fields, SchemaType element) implements Serializable {
  /** What a JSON value becomes in Spark. */
  public enum Kind {
    /** A JSON string: {@code string}. */
    STRING,
    /** Any JSON value, as its compact JSON text ({@code string}): schemas with no single type. */
    JSON_TEXT,
    /** A JSON integer: {@code bigint}. */
    LONG,
    /** A JSON number: {@code double}. */
    DOUBLE,
    /** {@code boolean}. */
    BOOLEAN,
    /** Only {@code null}: {@code void}. */
    NULL,
    /** A JSON object with declared properties: {@code struct}, one field per property. */
    STRUCT,
    /** A JSON array: {@code array}. */
    ARRAY
  }

  /** One property of a {@link Kind#STRUCT}: its name and type (nullable when not required or when null is allowed). */
  public record Field(String name, SchemaType type) implements Serializable {}

  public SchemaType {
    fields = List.copyOf(fields);
    if ((kind == Kind.ARRAY) != (element != null)) {
      throw new IllegalArgumentException(kind + " with element " + element);
    }
  }

  static SchemaType scalar(Kind kind, boolean nullable) {
    return new SchemaType(kind, nullable || kind == Kind.NULL || kind == Kind.JSON_TEXT, List.of(), null);
  }

  static SchemaType struct(List<Field> fields, boolean nullable) {
    return new SchemaType(Kind.STRUCT, nullable, fields, null);
  }

  static SchemaType array(SchemaType element, boolean nullable) {
    return new SchemaType(Kind.ARRAY, nullable, List.of(), element);
  }

  /** This type, nullable. */
  SchemaType orNull() {
    return nullable ? this : new SchemaType(kind, true, fields, element);
  }

  /** The Spark type. */
  public DataType dataType() {
    return switch (kind) {
      case STRING, JSON_TEXT -> DataTypes.StringType;
      case LONG -> DataTypes.LongType;
      case DOUBLE -> DataTypes.DoubleType;
      case BOOLEAN -> DataTypes.BooleanType;
      case NULL -> DataTypes.NullType;
      case STRUCT -> {
        StructField[] f = new StructField[fields.size()];
        for (int i = 0; i < f.length; i++) {
          Field x = fields.get(i);
          f[i] = DataTypes.createStructField(x.name(), x.type().dataType(), x.type().nullable());
        }
        yield new StructType(f);
      }
      case ARRAY -> DataTypes.createArrayType(element.dataType(), element.nullable());
    };
  }

  @Override
  public String toString() {
    return dataType().simpleString() + (kind == Kind.JSON_TEXT ? " (JSON text)" : "") + (nullable ? "" : " not null");
  }
}
