package ai.gptoss.spark.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.spark.TestData;
import ai.gptoss.spark.exec.ModelFilesTest;
import ai.gptoss.spark.generate.CommandErrors;
import ai.gptoss.spark.generate.SparkGenerate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad model is found on the driver before any task runs, and commands report a failure's root cause in one line. */
class ModelCheckTest {
  @TempDir Path tmp;

  private static Configuration conf() {
    Configuration c = new Configuration(false);
    c.set("fs.copytest.impl", ModelFilesTest.CopyTestFileSystem.class.getName());
    c.setBoolean("fs.copytest.impl.disable.cache", true);
    return c;
  }

  private String fails(String model, boolean sharedDisk) {
    return assertThrows(IllegalArgumentException.class, () -> ModelCheck.check(model, sharedDisk, conf())).getMessage();
  }

  @Test
  void missingUnreadableOrCorruptModelsAreNamedInOneLine() throws Exception {
    String missing = tmp.resolve("nope").toString();
    assertEquals("gptoss(): model '" + missing + "': no such directory: " + missing, fails(missing, true));
    ModelCheck.check(missing, false, conf()); // a cluster's executors may have it: a WARN, not an error

    Path badJson = Files.createDirectories(tmp.resolve("bad-json"));
    Files.writeString(badJson.resolve("config.json"), "{\"num_hidden_layers\": ");
    assertTrue(fails(badJson.toString(), true).contains("config.json: not valid JSON"), fails(badJson.toString(), true));

    Path noWeights = Files.createDirectories(tmp.resolve("no-weights"));
    Files.copy(TestData.resource("tiny-a").resolve("config.json"), noWeights.resolve("config.json"));
    assertTrue(fails(noWeights.toString(), true).contains("the weights are missing"), fails(noWeights.toString(), true));

    Path corrupt = Files.createDirectories(tmp.resolve("corrupt"));
    Files.copy(TestData.resource("tiny-a").resolve("config.json"), corrupt.resolve("config.json"));
    Files.write(corrupt.resolve("model.safetensors"), new byte[] {1, 2, 3});
    String m = fails(corrupt.toString(), true);
    assertTrue(m.startsWith("gptoss(): model '" + corrupt + "': ") && m.contains("model.safetensors") && !m.contains("\n"), m);

    ModelCheck.check(TestData.resource("tiny-a").toString(), true, conf()); // a good one passes
    // Hadoop URIs: config.json is read through the filesystem.
    ModelCheck.check("copytest://" + TestData.resource("tiny-a").toAbsolutePath(), false, conf());
    assertTrue(fails("copytest://" + badJson.toAbsolutePath(), false).contains("not valid JSON"));
    assertTrue(fails("copytest://" + tmp.resolve("nope").toAbsolutePath(), false).contains("no config.json"));
  }

  @Test
  void aJobFailureIsReportedAsItsRootCauseInOneLine() {
    SparkException job = new SparkException("Job aborted due to stage failure: Task 0 in stage 1.0 failed 1 times, most "
        + "recent failure: Lost task 0.0 in stage 1.0 (TID 1) (10.0.0.7 executor driver): java.lang.IllegalStateException: "
        + "the engine ran out of memory\n\tat ai.gptoss.X.y(X.java:1)\n\tat ...\nDriver stacktrace:");
    assertEquals("the engine ran out of memory", CommandErrors.oneLine(job));
    SparkException wrapped = new SparkException("Job aborted.", new IllegalArgumentException("model x: broken\nmore"));
    assertEquals("model x: broken", CommandErrors.oneLine(wrapped));
  }

  @Test
  void sparkGenerateStopsOnTheDriverWithOneLineForAMissingModel() throws Exception {
    Path input = tmp.resolve("in.jsonl");
    Files.writeString(input, "{\"id\": 1, \"prompt\": \"What is 1 + 1?\"}\n");
    String missing = tmp.resolve("no-model").toString();
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      rc = SparkGenerate.run("--input", input.toString(), "--output", tmp.resolve("out").toString(), "--model", missing,
          "--master", "local[1]");
    } finally {
      System.setErr(old);
    }
    assertEquals(1, rc);
    String out = err.toString(StandardCharsets.UTF_8).strip();
    assertEquals("gptoss spark-generate: gptoss(): model '" + missing + "': no such directory: " + missing, out);
    assertTrue(!Files.exists(tmp.resolve("out")), "no job ran");
  }
}
