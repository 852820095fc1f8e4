package ai.gptoss.spark.exec;

import ai.gptoss.batch.Answer;
import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.typed.SchemaType;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The result column: a string (the final answer) or, with {@code output=struct}, everything about the row; with
 * {@code response_format} too, the struct's last field, {@value #VALUE}, is the answer as a value of the schema's type.
 */
public final class ResultSchema {
  private ResultSchema() {}

  static final StructType STRUCT = new StructType()
      .add("final", DataTypes.StringType, true)
      .add("analysis", DataTypes.StringType, true)
      .add("finish_reason", DataTypes.StringType, true)
      .add("prompt_tokens", DataTypes.IntegerType, true)
      .add("completion_tokens", DataTypes.IntegerType, true)
      .add("cached_tokens", DataTypes.IntegerType, true)
      .add("error", DataTypes.StringType, true)
      .add("output_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
      .add("text", DataTypes.StringType, true)
      .add("device", DataTypes.StringType, true);

  /** The struct's field holding the typed answer under {@code response_format}. */
  static final String VALUE = "value";

  public static DataType dataType(GptossOptions o) {
    if (!o.structOutput()) return DataTypes.StringType;
    SchemaType t = o.valueType();
    return t == null ? STRUCT : STRUCT.add(VALUE, t.dataType(), true);
  }

  /**
   * The Catalyst value of {@code a} for the result column.
   *
   * @param device the engine's ("cpu", "cuda:0")
   * @param typed whether the struct has {@value #VALUE} ({@code response_format} given)
   * @param value its Catalyst value ({@link ai.gptoss.spark.typed.TypedAnswer#value})
   */
  static Object value(Answer a, boolean struct, String device, boolean typed, Object value) {
    if (!struct) return utf8(a.finalText());
    Object[] ids = new Object[a.outputIds().length];
    for (int i = 0; i < ids.length; i++) ids[i] = a.outputIds()[i];
    Object[] fields = {
        utf8(a.finalText()), utf8(a.analysis()), utf8(a.finishReason()), a.promptTokens(), a.completionTokens(),
        a.cachedTokens(), utf8(a.error()), new GenericArrayData(ids), utf8(a.text()), utf8(device), value};
    return new GenericInternalRow(typed ? fields : java.util.Arrays.copyOf(fields, fields.length - 1));
  }

  private static UTF8String utf8(String s) {
    return s == null ? null : UTF8String.fromString(s);
  }
}
