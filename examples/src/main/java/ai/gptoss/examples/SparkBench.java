package ai.gptoss.examples;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import ai.gptoss.cli.BenchPrompts;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.spark.generate.CommandLineSessions;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/gptoss spark-bench}: {@code bench}'s workload through {@code gptoss()} in a Spark job: the
 * same random token-id prompts ({@link BenchPrompts}, same seed), every row asked for exactly
 * {@code --output-len} tokens ({@code ignore_eos}), greedy. A warm-up query of two short rows starts the
 * executor's engine first (its wall time is reported as {@code load_seconds}: model load plus kernel
 * compilation); then the prompts, cached as a DataFrame of {@code array<int>} rows, go through one
 * {@code gptoss()} query whose wall time, from the action's start to its last row, gives
 * {@code output_tokens_per_s}. Prints one JSON line, like {@code bench}.
 */
@Command(name = "spark-bench", mixinStandardHelpOptions = true,
    description = "Runs bench's random-prompt workload through gptoss() in a Spark job and prints output tokens/s as JSON.")
public final class SparkBench implements Callable<Integer> {
  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json + safetensors).")
  String model;

  @Option(names = "--prompts", defaultValue = "64", description = "Rows. Default: ${DEFAULT-VALUE}.") int prompts;

  @Option(names = "--input-len", defaultValue = "1024", description = "Prompt tokens per row. Default: ${DEFAULT-VALUE}.") int inputLen;

  @Option(names = "--output-len", defaultValue = "1024", description = "New tokens per row (ignore_eos). Default: ${DEFAULT-VALUE}.") int outputLen;

  @Option(names = "--seed", defaultValue = "1", description = "Prompt seed, as bench's --seed. Default: ${DEFAULT-VALUE}.") long seed;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master. Default: spark.master as spark-submit sets it, else local[*].")
  String master;

  @Option(names = "--partitions", defaultValue = "0", description = "Partitions of the prompts (0: Spark's default parallelism).")
  int partitions;

  @Option(names = "--option", paramLabel = "KEY=VALUE", description = "More gptoss() options (precision=fast, device=cuda:0, ...); repeatable.")
  Map<String, String> extra = new HashMap<>();

  public static void main(String[] args) {
    System.exit(new CommandLine(new SparkBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (prompts < 1 || inputLen < 1 || outputLen < 1) throw new IllegalArgumentException("--prompts, --input-len and --output-len must be at least 1");
    int vocab = ModelConfig.read(Path.of(model, "config.json")).vocabSize();
    Map<String, String> options = new HashMap<>(extra);
    options.put("model", model);
    options.put("output", "struct");
    options.put("ignore_eos", "true");
    SparkSession spark = CommandLineSessions.start("gptoss spark-bench", master);
    try {
      StructType schema = new StructType().add("id", DataTypes.IntegerType)
          .add("ids", DataTypes.createArrayType(DataTypes.IntegerType, false));
      long l0 = System.nanoTime();
      Map<String, String> warm = new HashMap<>(options);
      warm.put("max_new_tokens", "4");
      Row w = answer(spark.createDataFrame(rows(BenchPrompts.random(vocab, 2, 16, seed + 1)), schema), warm).first();
      double loadSeconds = (System.nanoTime() - l0) / 1e9;

      options.put("max_new_tokens", Integer.toString(outputLen));
      int parts = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
      Dataset<Row> df = spark.createDataFrame(rows(BenchPrompts.random(vocab, prompts, inputLen, seed)), schema).repartition(parts).cache();
      df.count();
      long t0 = System.nanoTime();
      Row r = answer(df, options).first();
      double seconds = (System.nanoTime() - t0) / 1e9;

      long outTokens = r.isNullAt(1) ? 0 : r.getLong(1);
      ObjectNode o = new ObjectMapper().createObjectNode();
      o.put("driver", "spark");
      o.put("master", spark.sparkContext().master());
      o.put("partitions", parts);
      o.put("model", model);
      o.put("options", options.toString());
      o.put("device", r.isNullAt(4) ? "?" : r.getString(4));
      o.put("prompts", prompts);
      o.put("input_len", inputLen);
      o.put("output_len", outputLen);
      o.put("rows", r.getLong(0));
      o.put("rows_not_full_length", r.getLong(2));
      o.put("row_errors", r.getLong(3));
      o.put("output_tokens", outTokens);
      o.put("seconds", Math.round(seconds * 1000) / 1000.0);
      o.put("output_tokens_per_s", Math.round(outTokens / seconds * 1000) / 1000.0);
      o.put("load_seconds", Math.round(loadSeconds * 1000) / 1000.0);
      o.put("warmup_device", w.isNullAt(4) ? "?" : w.getString(4));
      System.out.println(new ObjectMapper().writeValueAsString(o));
      return r.getLong(2) == 0 && r.getLong(3) == 0 ? 0 : 4;
    } finally {
      spark.stop();
    }
  }

  /** One row: rows, output tokens, rows shorter than asked, rows with an error, the engine's device. */
  private static Dataset<Row> answer(Dataset<Row> df, Map<String, String> options) {
    int want = Integer.parseInt(options.get("max_new_tokens"));
    Dataset<Row> a = df.select(gptoss(col("ids"), options).as("r"));
    boolean hasDevice = Arrays.asList(((StructType) a.schema().fields()[0].dataType()).fieldNames()).contains("device");
    return a.agg(count(lit(1)), sum(col("r.completion_tokens")),
        sum(when(col("r.completion_tokens").notEqual(want), 1).otherwise(0)).cast("long"),
        sum(when(col("r.error").isNotNull(), 1).otherwise(0)).cast("long"),
        hasDevice ? max(col("r.device")) : lit(null).cast("string"));
  }

  private static List<Row> rows(int[][] prompts) {
    List<Row> rows = new ArrayList<>(prompts.length);
    for (int i = 0; i < prompts.length; i++) rows.add(RowFactory.create(i, Arrays.stream(prompts[i]).boxed().toArray(Integer[]::new)));
    return rows;
  }
}
