package ai.gptoss.spark;

import ai.gptoss.spark.plan.GptossCall;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.classic.ExpressionUtils;

/**
 * {@code gptoss()} for the DataFrame API (Java and Scala):
 * <pre>{@code
 * import static ai.gptoss.spark.GptossFunctions.gptoss;
 * df.withColumn("answer", gptoss(col("prompt")));
 * df.withColumn("r", gptoss(col("messages"), Map.of("output", "struct", "max_new_tokens", "64")));
 * }</pre>
 * The session needs {@code spark.sql.extensions=ai.gptoss.spark.GptossExtensions}, which plans the call as a
 * batched operator. Options and their precedence: {@link GptossConf}.
 */
public final class GptossFunctions {
  private GptossFunctions() {}

  /** The final answer to each row's prompt, chat messages or token ids (null for a bad row). */
  public static Column gptoss(Column input) {
    return gptoss(input, Map.of());
  }

  /** As {@link #gptoss(Column)}, with options (keys in {@link GptossConf}); {@code output=struct} returns everything. */
  public static Column gptoss(Column input, Map<String, String> options) {
    return ExpressionUtils.column(GptossCall.create(ExpressionUtils.expression(input), options));
  }

  /** Scala-friendly overload. */
  public static Column gptoss(Column input, scala.collection.Map<String, String> options) {
    return gptoss(input, scala.jdk.javaapi.CollectionConverters.asJava(options));
  }
}
