package ai.gptoss.spark.generate;

import ai.gptoss.batch.InFlightWindow;
import ai.gptoss.batch.RequestLine;
import ai.gptoss.batch.ResultRecord;
import ai.gptoss.cli.ResponseFormatOption;
import ai.gptoss.cli.SamplingOptions;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.exec.ExecutorEngine;
import ai.gptoss.spark.exec.ExecutorEngines;
import ai.gptoss.spark.exec.Prompts;
import ai.gptoss.spark.exec.RequestWindow;
import ai.gptoss.spark.exec.RowSeeds;
import ai.gptoss.spark.plan.ModelCheck;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import scala.Tuple2;

/**
 * {@code bin/gptoss spark-generate --input IN.jsonl --output DIR}: {@code generate}'s batch mode as a Spark
 * job. Lines are read in {@code --partitions} splits; each task streams its lines through the executor's
 * resident engine (the same {@link RequestWindow} and {@link ExecutorEngines} as {@code gptoss()}) and writes
 * one JSON record per line ({@link ResultRecord}, as generate's; an error record for a blank one, so record N answers
 * line N), in input order, as text part files under DIR ({@code part-00000}, ...): {@code id, output_ids,
 * finish_reason, prompt_tokens, completion_tokens, cached_tokens, error}, plus {@code final}, {@code analysis} and
 * {@code text} for {@code prompt} and {@code messages} lines, and {@code value} for lines with a response format.
 */
@Command(name = "spark-generate", mixinStandardHelpOptions = true,
    description = "Runs generate's batch input format (JSONL lines with id and input_ids, prompt or messages) as a "
        + "Spark job; writes one JSON result per line under --output.")
public final class SparkGenerate implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(SparkGenerate.class);

  @Option(names = "--input", required = true, paramLabel = "IN.jsonl", description = "Input lines (any Hadoop path).")
  String input;

  @Option(names = "--output", required = true, paramLabel = "DIR",
      description = "Output directory (any Hadoop path): JSON records in part files, one per input line, in input order.")
  String output;

  @Option(names = "--mode", paramLabel = "MODE",
      description = "When --output exists: error (the default: stop), overwrite (replace it) or append (add part files "
          + "to it), as Spark's save modes.")
  String mode;

  @Option(names = "--resume",
      description = "Finish an interrupted run into the same --output: partitions whose part files are committed there "
          + "are skipped, the others run. Needs the same --input, unchanged, and the same --partitions.")
  boolean resume;

  @Option(names = "--model", paramLabel = "DIR", defaultValue = "",
      description = "Model directory or Hadoop URI. Default: the embedded tiny-qa model.")
  String model;

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master. Default: spark.master as spark-submit sets it, else local[*].")
  String master;

  @Option(names = "--partitions", defaultValue = "4", description = "Input splits (tasks). Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Mixin SamplingOptions sampling; // --max-new-tokens, --temperature, --top-p, --top-k, --seed: as generate's
  @Mixin ResponseFormatOption responseFormat; // --response-format: as generate's
  @Option(names = "--max-in-flight", defaultValue = "auto",
      description = "Requests each task keeps in the engine: auto (the engine's sequences per step) or a count. "
          + "Default: ${DEFAULT-VALUE}.") String maxInFlight;
  @Option(names = "--device", defaultValue = "auto", description = "auto (the task's GPU, else CPU) or cpu.") String device;
  @Option(names = "--tensor-parallel-size", paramLabel = "N", defaultValue = "1",
      description = "Ranks one engine spans (the tensor_parallel_size option; docs/multi-gpu.md): on the CPU N simulated "
          + "ranks; on GPUs one engine over N of each executor's GPUs. Default: ${DEFAULT-VALUE}.") String tensorParallelSize;
  @Option(names = "--expert-parallel",
      description = "With --tensor-parallel-size above 1: whole experts per rank (the expert_parallel option).")
  boolean expertParallel;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command and returns its exit status (tests call this). */
  public static int run(String... args) {
    return CommandErrors.execute(new SparkGenerate(), args);
  }

  @Override
  public Integer call() throws IOException {
    Map<String, String> opts = new TreeMap<>();
    opts.put(GptossConf.MODEL, model);
    opts.put(GptossConf.MAX_IN_FLIGHT, maxInFlight);
    opts.put(GptossConf.DEVICE, device);
    opts.put(GptossConf.TENSOR_PARALLEL_SIZE,
        String.valueOf(ParallelPlan.parseSize(tensorParallelSize, "--tensor-parallel-size")));
    opts.put(GptossConf.EXPERT_PARALLEL, String.valueOf(expertParallel));
    GptossOptions options = GptossOptions.resolve(opts, k -> null);
    RequestLine.Defaults defaults = sampling.lineDefaults(responseFormat.responseFormat()); // checked before Spark starts
    SparkSession spark = CommandLineSessions.start("gptoss spark-generate", master);
    try {
      ModelCheck.onDriver(options.model());
      return generate(spark, options, defaults);
    } finally {
      spark.stop();
    }
  }

  private int generate(SparkSession spark, GptossOptions options, RequestLine.Defaults defaults) throws IOException {
    long t0 = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    JavaRDD<String> lines = jsc.textFile(input, partitions);
    int n = lines.getNumPartitions();
    ObjectNode run;
    try {
      run = GenerateOutput.describeRun(input, conf, n);
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalArgumentException("--input " + input + ": no such file");
    }
    GenerateOutput out = new GenerateOutput(output, conf);
    Set<Integer> skip = Set.of();
    if (resume) {
      if (mode != null) throw new IllegalArgumentException("--resume appends to the run it finishes; leave out --mode");
      skip = out.committed(run);
      System.err.printf(Locale.ROOT, "spark-generate: resuming %s: %d of %d partitions already committed%n", output,
          skip.size(), n);
      if (skip.size() == n) return 0;
    } else {
      out.start(GenerateOutput.mode(mode == null ? "error" : mode), run);
    }
    LongAccumulator tokens = spark.sparkContext().longAccumulator(JobProgress.TOKENS);
    JavaRDD<String> results = lines.zipWithIndex().mapPartitionsWithIndex(new Lines(options, defaults, skip, tokens), true);
    // Append into the directory prepared above; each task's part file lands there when the task commits.
    try (JobProgress progress = JobProgress.start(spark, "spark-generate", resume ? -1 : lines.count())) {
      spark.createDataset(results.rdd(), Encoders.STRING()).write().mode(SaveMode.Append)
          .option(GenerateOutput.COMMITTER_ALGORITHM, "2").text(output);
    }
    System.err.printf(Locale.ROOT, "spark-generate: %d partitions written to %s in %.1f s%n", n - skip.size(), output,
        (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  /** One task: its lines through the executor's engine, one JSON record each, in order. */
  record Lines(GptossOptions options, RequestLine.Defaults defaults, Set<Integer> skip, LongAccumulator tokens)
      implements Function2<Integer, Iterator<Tuple2<String, Long>>, Iterator<String>>, Serializable {
    @Override
    public Iterator<String> call(Integer partition, Iterator<Tuple2<String, Long>> in) {
      if (skip.contains(partition)) return java.util.Collections.emptyIterator(); // committed by the run resumed
      // This task runs inside a SQL write, whose context class loader gets a log4j context of its own (no
      // configuration: ERROR only), so java.util.logging records (the CPU backend's one WARNING) vanished.
      Thread.currentThread().setContextClassLoader(SparkGenerate.class.getClassLoader());
      TaskContext task = TaskContext.get();
      ExecutorEngine engine = ExecutorEngines.get(options);
      RowSeeds seeds = new RowSeeds(defaults.sampling().seed());
      // The same parser as gptoss generate's; lines without a seed get one per row, as gptoss() rows do.
      RequestLine parser = new RequestLine(defaults, engine.stopTokens()).withHarmony(ExecutorEngine.chatOptions(options))
          .withSeeds(seeds::next);
      Iterator<RequestLine.Parsed> parsed = new Iterator<>() {
        @Override
        public boolean hasNext() {
          return in.hasNext();
        }

        @Override
        public RequestLine.Parsed next() {
          Tuple2<String, Long> t = in.next();
          return parser.parse(t._1(), t._2() + 1);
        }
      };
      RequestWindow<RequestLine.Parsed> window = new RequestWindow<>(parsed, p -> prepare(p, options.maxPromptTokens()),
          engine, options.maxInFlight(), task);
      if (task != null) {
        task.addTaskCompletionListener((TaskCompletionListener) ctx -> {
          if (window.truncated() > 0) {
            LOG.warn("spark-generate: {} of {} lines of partition {} were cut off by max_new_tokens or the model's context "
                + "before the model finished (finish_reason length; their error says so)", window.truncated(),
                window.emitted(), task.partitionId());
          }
        });
      }
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return window.hasNext();
        }

        @Override
        public String next() {
          InFlightWindow.Done<RequestLine.Parsed> d = window.next();
          tokens.add(d.answer().completionTokens());
          // The harmony fields go with prompt and messages lines (a token-id line may not be harmony at all).
          boolean harmony = d.row().promptKey() != null && !d.row().promptKey().equals("input_ids");
          return ResultRecord.of(d.row(), d.request(), d.answer(), harmony).toString();
        }
      };
    }

    /** A parsed line as a request; {@code spark.gptoss.maxPromptTokens} limits rendered prompts (not token ids). */
    private static InFlightWindow.Prepared prepare(RequestLine.Parsed p, int maxPromptTokens) {
      if (p.request() == null) return InFlightWindow.Prepared.bad(p.error(), 0);
      if (!p.promptKey().equals("input_ids")) {
        InFlightWindow.Prepared tooLong = Prompts.tooLong(p.where(), p.request().inputIds().length, maxPromptTokens);
        if (tooLong != null) return tooLong;
      }
      return InFlightWindow.Prepared.of(p.request(), p.where());
    }
  }
}
