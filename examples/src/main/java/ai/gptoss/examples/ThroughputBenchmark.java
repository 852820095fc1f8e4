package ai.gptoss.examples;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import ai.gptoss.backend.Backends;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import ai.gptoss.harmony.Harmony;
import ai.gptoss.harmony.HarmonyTokens;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.generate.CommandErrors;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Throughput of the same prompts through (a) one engine fed directly, as {@code bin/gptoss generate}'s batch
 * mode does, and (b) a Spark job calling {@code gptoss()}, on this machine, with the embedded tiny-qa model
 * on the CPU. Reports generated tokens/s of both and their ratio (not a test: timings vary with the machine).
 */
@Command(name = "spark-benchmark", mixinStandardHelpOptions = true,
    description = "Compares gptoss() in Spark with the engine fed directly (generate's batch mode) on the same prompts.")
public final class ThroughputBenchmark implements Callable<Integer> {
  @Option(names = "--questions", defaultValue = "400", description = "Prompts (tiny-qa questions). Default: ${DEFAULT-VALUE}.")
  int n;

  @Option(names = "--master", defaultValue = "local[*]", description = "Default: ${DEFAULT-VALUE}.")
  String master;

  @Option(names = "--partitions", defaultValue = "0", description = "0: Spark's default parallelism.")
  int partitions;

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = MaxNewTokens.AUTO,
      description = "Generation limit per prompt: auto (the rest of the context) or a count. Default: ${DEFAULT-VALUE}.")
  String maxNewTokens;

  @Option(names = "--rounds", defaultValue = "3", description = "Alternating rounds; the last is reported. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--spark-first", description = "Run the Spark job before the direct engine (to see order effects).")
  boolean sparkFirst;

  private List<String> questions;
  private long generatedDirect, generatedSpark;

  public static void main(String[] args) {
    System.exit(CommandErrors.execute(new ThroughputBenchmark(), args));
  }

  @Override
  public Integer call() throws Exception {
    ObjectMapper json = new ObjectMapper();
    questions = new ArrayList<>();
    for (String line : TinyQaEvaluation.bundledQuestions()) {
      if (questions.size() == n) break;
      questions.add(json.readTree(line).get("question").asText());
    }

    // The JVM's JIT keeps warming up for a while, and whichever side runs later profits: run both
    // sides `rounds` times, alternating, and compare the last round of each.
    double viaSpark = 0, direct = 0;
    for (int round = 1; round <= rounds; round++) {
      generatedDirect = generatedSpark = 0;
      if (sparkFirst) viaSpark = spark();
      direct = direct();
      if (!sparkFirst) viaSpark = spark();
      System.out.printf(Locale.ROOT, "round %d: direct %.1f tokens/s, spark %.1f tokens/s%n", round, direct, viaSpark);
    }
    System.out.printf(Locale.ROOT, "engine direct (generate batch mode): %d tokens, %.1f tokens/s%n", generatedDirect, direct);
    System.out.printf(Locale.ROOT, "spark gptoss():                      %d tokens, %.1f tokens/s%n", generatedSpark, viaSpark);
    System.out.printf(Locale.ROOT, "ratio spark/direct: %.3f%n", viaSpark / direct);
    return 0;
  }

  /** (a) One engine, every request submitted at once (what generate --input does). */
  private double direct() throws Exception {
    double direct;
    Engine engine = Engine.start(Backends.open(EmbeddedModel.path(), "cpu", Precision.EXACT, KvCacheDtype.fromEnvironment()), EngineConfig.defaults());
    try {
      List<GenerationRequest> reqs = new ArrayList<>();
      for (int i = 0; i < questions.size(); i++) {
        reqs.add(GenerationRequest.greedy("q" + i, Harmony.prompt(questions.get(i)),
            MaxNewTokens.forRequest(MaxNewTokens.parse(maxNewTokens, "--max-new-tokens")), HarmonyTokens.STOP_TOKENS_FOR_ASSISTANT_ACTIONS));
      }
      // Warm-up (JIT), as the Spark run below gets one too.
      for (RequestHandle h : engine.submitAll(reqs.subList(0, Math.min(8, reqs.size())))) h.result().get();
      long t0 = System.nanoTime();
      for (RequestHandle h : engine.submitAll(reqs)) {
        GenerationResult r = h.result().get();
        generatedDirect += r.completionTokens();
      }
      direct = generatedDirect / ((System.nanoTime() - t0) / 1e9);
    } finally {
      engine.close();
      engine.backend().close();
    }
    return direct;
  }

  /** (b) The same prompts through gptoss() in Spark (the executor engine is warmed up first). */
  private double spark() {
    SparkSession spark = SparkSession.builder().master(master).appName("throughput benchmark")
        .config("spark.sql.extensions", GptossConf.EXTENSIONS_CLASS).config("spark.ui.enabled", "false").getOrCreate();
    try {
      int parts = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
      // max_in_flight is auto: each task keeps up to the engine's sequences per step in it.
      Map<String, String> opts = Map.of("output", "struct", "max_new_tokens", "" + maxNewTokens);
      Dataset<Row> df = spark.createDataset(questions, Encoders.STRING()).toDF("question").repartition(parts).cache();
      df.count();
      df.limit(8).select(gptoss(col("question"), opts)).collectAsList();
      long t0 = System.nanoTime();
      Row r = df.select(gptoss(col("question"), opts).getField("completion_tokens").as("c")).agg(sum("c")).first();
      generatedSpark = r.getLong(0);
      return generatedSpark / ((System.nanoTime() - t0) / 1e9);
    } finally {
      spark.stop();
    }
  }
}
