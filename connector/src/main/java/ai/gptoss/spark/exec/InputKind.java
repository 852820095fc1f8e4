package ai.gptoss.spark.exec;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The three column types {@code gptoss()} accepts. */
public enum InputKind {
  /** {@code string}: one user message, rendered with harmony's default system message. */
  PROMPT,
  /** {@code array<struct<role: string, content: string>>}: a chat conversation. */
  MESSAGES,
  /** {@code array<int>} (or {@code array<bigint>}): pre-tokenized prompt ids, sent as they are. */
  TOKEN_IDS;

  public static final String EXPECTED = "string (a prompt), array<struct<role: string, content: string>> (chat messages) "
      + "or array<int> (token ids)";

  /** The kind for {@code type}, or null when gptoss() cannot take it. */
  public static InputKind of(DataType type) {
    if (type instanceof org.apache.spark.sql.types.StringType) return PROMPT;
    if (type instanceof ArrayType a) {
      DataType e = a.elementType();
      if (e.equals(DataTypes.IntegerType) || e.equals(DataTypes.LongType)) return TOKEN_IDS;
      if (e instanceof StructType s && stringField(s, "role") >= 0 && stringField(s, "content") >= 0) return MESSAGES;
    }
    return null;
  }

  /** Ordinal of string field {@code name} in {@code s}, or -1. */
  static int stringField(StructType s, String name) {
    StructField[] fields = s.fields();
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].name().equalsIgnoreCase(name) && fields[i].dataType() instanceof org.apache.spark.sql.types.StringType) {
        return i;
      }
    }
    return -1;
  }
}
