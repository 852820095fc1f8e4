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
    } finally {
      spark.stop();
    }
  }
}
