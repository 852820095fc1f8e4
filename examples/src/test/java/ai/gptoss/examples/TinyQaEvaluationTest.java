package ai.gptoss.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.CudaAvailability;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The example evaluation end to end on a slice of the questions (the README runs all 1,000). */
class TinyQaEvaluationTest {
  @TempDir Path tmp;

  @Test
  void answersScoresAndWritesParquet() {
    TinyQaEvaluation job = new TinyQaEvaluation();
    int rc = new CommandLine(job).execute("--limit", "40", "--master", "local[2]", "--partitions", "2", "--output",
        tmp.toString(), "--min-accuracy", "0.95");
    assertEquals(0, rc, "accuracy " + job.accuracy);
    assertTrue(job.accuracy >= 0.95, "accuracy " + job.accuracy);
    // CI has no GPU: device=auto runs the engines on the CPU, and the job says so.
    if (CudaAvailability.probe().count() == 0) assertEquals("cpu", job.devices);
    else assertTrue(job.devices.startsWith("cuda:0"), job.devices);

    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
    try {
      List<Row> summary = spark.read().parquet(tmp.resolve("summary").toString()).orderBy("kind").collectAsList();
      assertEquals(2, summary.size(), "one row per kind: " + summary);
      long questions = 0;
      for (Row r : summary) questions += r.<Long>getAs("questions");
      assertEquals(40, questions);
      Row a = spark.read().parquet(tmp.resolve("answers").toString()).orderBy("id").first();
      assertEquals(0L, a.<Long>getAs("id"));
      assertEquals("Oslo", a.<String>getAs("prediction"));
      assertTrue(a.<Boolean>getAs("correct"));
      assertTrue(!java.nio.file.Files.exists(tmp.resolve("_incomplete")), "a complete run leaves no staging directory");
    } finally {
      spark.stop();
    }
  }

  private static long questions(SparkSession spark, Path out) {
    long n = 0;
    for (Row r : spark.read().parquet(out.resolve("summary").toString()).collectAsList()) n += r.<Long>getAs("questions");
    return n;
  }

  @Test
  void anAbortedRunLeavesThePreviousCompleteRunNotAMix() throws Exception {
    SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.extensions", ai.gptoss.spark.GptossConf.EXTENSIONS_CLASS).getOrCreate();
    try {
      TinyQaEvaluation first = new TinyQaEvaluation();
      new CommandLine(first).parseArgs("--limit", "8", "--partitions", "2", "--output", tmp.toString());
      first.run(spark);
      assertEquals(8, questions(spark, tmp));

      TinyQaEvaluation second = new TinyQaEvaluation();
      new CommandLine(second).parseArgs("--limit", "1000", "--partitions", "8", "--output", tmp.toString());
      // Abort as soon as the answering stage (8 tasks, one at a time on local[1]) has finished one task:
      // a listener, not a poll, so a fast machine cannot finish the stage between two looks.
      java.util.concurrent.atomic.AtomicBoolean aborted = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.Map<Integer, Integer> stageTasks = new java.util.concurrent.ConcurrentHashMap<>();
      org.apache.spark.scheduler.SparkListener abort = new org.apache.spark.scheduler.SparkListener() {
        @Override
        public void onStageSubmitted(org.apache.spark.scheduler.SparkListenerStageSubmitted e) {
          stageTasks.put(e.stageInfo().stageId(), e.stageInfo().numTasks());
        }

        @Override
        public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd e) {
          if (stageTasks.getOrDefault(e.stageId(), 0) == 8 && aborted.compareAndSet(false, true)) {
            spark.sparkContext().cancelAllJobs();
          }
        }
      };
      spark.sparkContext().addSparkListener(abort);
      Throwable failure = null;
      try {
        second.run(spark);
      } catch (Throwable t) {
        failure = t;
      } finally {
        spark.sparkContext().removeSparkListener(abort);
      }
      boolean midway = aborted.get();
      assertTrue(midway && failure != null, "the second run was aborted mid-way");

      // OUT still holds the first run, whole: its 8 answers and the summary that counts them.
      assertEquals(8, questions(spark, tmp));
      assertEquals(8, spark.read().parquet(tmp.resolve("answers").toString()).count());
    } finally {
      spark.stop();
    }
  }
}
