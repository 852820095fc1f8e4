package ai.gptoss.spark.exec;

import ai.gptoss.batch.Answer;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/** The result column: a string (the final answer) or, with {@code output=struct}, everything about the row. */
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

  public static DataType dataType(boolean struct) {
    return struct ? STRUCT : DataTypes.StringType;
  }

  /** The Catalyst value of {@code a} for the result column; {@code device}: the engine's ("cpu", "cuda:0"). */
  static Object value(Answer a, boolean struct, String device) {
    if (!struct) return utf8(a.finalText());
    Object[] ids = new Object[a.outputIds().length];
    for (int i = 0; i < ids.length; i++) ids[i] = a.outputIds()[i];
    InternalRow r = new GenericInternalRow(new Object[] {
        utf8(a.finalText()), utf8(a.analysis()), utf8(a.finishReason()), a.promptTokens(), a.completionTokens(),
        a.cachedTokens(), utf8(a.error()), new GenericArrayData(ids), utf8(a.text()), utf8(device)});
    return r;
  }

  private static UTF8String utf8(String s) {
    return s == null ? null : UTF8String.fromString(s);
  }
}
