package ai.gptoss.examples;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import ai.gptoss.spark.generate.CommandErrors;
import ai.gptoss.spark.generate.CommandLineSessions;
import ai.gptoss.spark.generate.JobProgress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The example evaluation pipeline: questions with reference answers -> {@code gptoss()} answers -> exact
 * match scores -> a summary table per question kind -> Parquet ({@code OUT/answers}, {@code OUT/summary}),
 * then prints the accuracy. By default it runs locally on the embedded tiny-qa model over the 1,000
 * questions of {@code tiny-qa.questions.jsonl} (bundled), which tiny-qa was trained to answer.
 */
@Command(name = "tiny-qa-eval", mixinStandardHelpOptions = true,
    description = "Answers questions with gptoss() in Spark, scores them against reference answers, writes Parquet.")
public final class TinyQaEvaluation implements Callable<Integer> {
  @Option(names = "--questions", paramLabel = "JSONL",
      description = "Questions (id, question, answer) as JSON lines. Default: the bundled tiny-qa.questions.jsonl.")
  String questions;

  @Option(names = "--output", paramLabel = "DIR", defaultValue = "target/tiny-qa-eval",
      description = "Where answers/ and summary/ go (Parquet). A run writes OUT/_incomplete and replaces them only when "
          + "complete. Default: ${DEFAULT-VALUE}.")
  String output;

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master. Default: spark.master as spark-submit sets it, else local[*].")
  String master;

  @Option(names = "--model", paramLabel = "DIR", defaultValue = "",
      description = "Model directory or Hadoop URI. Default: the embedded tiny-qa model.")
  String model;

  @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "",
      description = "gptoss()'s device option: auto, cpu, cuda, cuda:N or cuda:A,B,... (one GPU per rank of "
          + "spark.gptoss.tensor_parallel_size). Default: spark.gptoss.device, else auto.")
  String device;

  @Option(names = "--limit", defaultValue = "0", description = "Evaluate only the first N questions (0: all).")
  int limit;

  @Option(names = "--partitions", defaultValue = "0", description = "Partitions of the question set (0: Spark's default parallelism).")
  int partitions;

  @Option(names = "--min-accuracy", defaultValue = "0",
      description = "Exit with status 3 when the accuracy is below this fraction (for CI). Default: ${DEFAULT-VALUE}.")
  double minAccuracy;

  /** Accuracy of the last run (for tests). */
  double accuracy;

  /** The devices the engines of the last run ran on, comma-separated (for tests). */
  String devices;

  public static void main(String[] args) {
    System.exit(CommandErrors.execute(new TinyQaEvaluation(), args));
  }

  @Override
  public Integer call() throws IOException {
    if (limit < 0) throw new CommandLine.ParameterException(new CommandLine(this), "--limit must be 0 (all) or more, got " + limit);
    if (!(minAccuracy >= 0 && minAccuracy <= 1)) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--min-accuracy must be within [0, 1], got " + minAccuracy);
    }
    SparkSession spark = CommandLineSessions.start("tiny-qa evaluation", master);
    try {
      accuracy = run(spark);
    } finally {
      spark.stop();
    }
    return accuracy < minAccuracy ? 3 : 0;
  }

  double run(SparkSession spark) throws IOException {
    long t0 = System.nanoTime();
    Dataset<Row> qs = questions != null ? spark.read().json(questions)
        : spark.read().json(spark.createDataset(bundledQuestions(), Encoders.STRING()));
    qs = qs.select(col("id").cast("long"), col("question"), col("answer")).orderBy("id");
    if (limit > 0) qs = qs.limit(limit);
    int n = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
    qs = qs.repartition(n);

    // max_new_tokens stays at its default (auto): tiny-qa's answers end at <|return|> after a few tokens.
    Map<String, String> options = new HashMap<>(Map.of("output", "struct"));
    if (!model.isEmpty()) options.put("model", model);
    if (!device.isEmpty()) options.put("device", device);
    Dataset<Row> answers = qs
        .withColumn("r", gptoss(col("question"), options))
        .select(col("id"), col("question"), col("answer"),
            col("r.final").as("prediction"), col("r.analysis").as("reasoning"), col("r.finish_reason").as("finish_reason"),
            col("r.completion_tokens").as("completion_tokens"), col("r.error").as("error"), col("r.device").as("device"))
        .withColumn("kind", when(col("question").contains("capital"), lit("capital")).otherwise(lit("arithmetic")))
        .withColumn("correct", trim(col("prediction")).equalTo(trim(col("answer"))).and(col("prediction").isNotNull()));
    // The run is written under OUT/_incomplete and moved into place when it is complete, summary last, so
    // a killed run leaves the previous complete run (or nothing) in OUT, never a mix (Spark ignores _ paths).
    org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(output);
    FileSystem fs = out.getFileSystem(spark.sparkContext().hadoopConfiguration());
    org.apache.hadoop.fs.Path staging = new org.apache.hadoop.fs.Path(out, "_incomplete");
    fs.delete(staging, true);
    // Answers are computed once, written, and everything else reads the Parquet copy.
    try (JobProgress progress = JobProgress.start(spark, "tiny-qa-eval", qs.count())) {
      answers.write().parquet(staging + "/answers");
    }
    Dataset<Row> scored = spark.read().parquet(staging + "/answers");

    Dataset<Row> summary = scored.groupBy("kind")
        .agg(count(lit(1)).as("questions"), sum(col("correct").cast("int")).as("correct"),
            round(avg(col("correct").cast("double")), 4).as("accuracy"),
            round(avg("completion_tokens"), 1).as("mean_completion_tokens"),
            sum(when(col("error").isNotNull(), 1).otherwise(0)).as("errors"))
        .orderBy("kind");
    summary.write().parquet(staging + "/summary");

    Row total = scored.agg(count(lit(1)), sum(col("correct").cast("int"))).first();
    long questionsN = total.getLong(0), correct = total.isNullAt(1) ? 0 : total.getLong(1);
    double acc = questionsN == 0 ? 0 : (double) correct / questionsN;
    devices = String.join(",", scored.select("device").distinct().orderBy("device").as(Encoders.STRING()).collectAsList());
    spark.read().parquet(staging + "/summary").orderBy("kind").show(false);
    publish(fs, staging, out);
    System.out.printf(Locale.ROOT, "accuracy: %.1f%% (%d/%d) on %s in %.1f s; answers and summary in %s%n", 100 * acc,
        correct, questionsN, devices, (System.nanoTime() - t0) / 1e9, output);
    return acc;
  }

  /** Replaces OUT's answers and summary with the complete run's: the old summary goes first, the new comes last. */
  private static void publish(FileSystem fs, org.apache.hadoop.fs.Path staging, org.apache.hadoop.fs.Path out)
      throws IOException {
    for (String name : new String[] {"summary", "answers"}) fs.delete(new org.apache.hadoop.fs.Path(out, name), true);
    for (String name : new String[] {"answers", "summary"}) {
      if (!fs.rename(new org.apache.hadoop.fs.Path(staging, name), new org.apache.hadoop.fs.Path(out, name))) {
        throw new IOException("cannot move " + staging + "/" + name + " to " + out);
      }
    }
    fs.delete(staging, true);
  }

  static List<String> bundledQuestions() throws IOException {
    try (InputStream in = TinyQaEvaluation.class.getResourceAsStream("tiny-qa.questions.jsonl")) {
      if (in == null) throw new IOException("resource ai/gptoss/examples/tiny-qa.questions.jsonl is missing from the jar");
      return Arrays.stream(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")).filter(s -> !s.isBlank()).toList();
    }
  }
}
