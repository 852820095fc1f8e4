package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The bench command's batching loop on the CPU backend (CI has no GPU), and its errors. */
class BenchCommandTest {
  private static String[] run(String... args) {
    PrintStream out = System.out, err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int rc = GptossCli.run(args);
      return new String[] {String.valueOf(rc), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void everyRequestGeneratesItsOutputLengthOnTheCpuBackend() throws Exception {
    String[] r = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--prompts", "5",
        "--input-len", "20", "--output-len", "6", "--max-batch-tokens", "16", "--max-seqs", "3", "--page-size", "4");
    assertEquals("0", r[0], r[2]);
    JsonNode j = new ObjectMapper().readTree(r[1]);
    assertEquals(30, j.get("output_tokens").asInt());
    assertEquals("cpu", j.get("device").asText());
    assertTrue(j.get("max_concurrent").asInt() <= 3);
    assertTrue(j.get("output_tokens_per_s").asDouble() > 0);
  }

  @Test
  void theEngineDriverRunsTheSameWorkloadThroughTheEngine() throws Exception {
    String[] common = {"bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--prompts", "5",
        "--input-len", "20", "--output-len", "6", "--max-batch-tokens", "16", "--max-seqs", "3", "--page-size", "4"};
    String[] loop = run(common);
    String[] engine = run(java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of("--driver", "engine"))
        .toArray(String[]::new));
    assertEquals("0", engine[0], engine[2]);
    JsonNode l = new ObjectMapper().readTree(loop[1]), e = new ObjectMapper().readTree(engine[1]);
    assertEquals("loop", l.get("driver").asText());
    assertEquals("engine", e.get("driver").asText());
    assertEquals(30, e.get("output_tokens").asInt());
    assertTrue(e.get("max_concurrent").asInt() <= 3 && e.get("max_concurrent").asInt() >= 1, engine[1]);
    double batch = e.get("engine_mean_batch").asDouble();
    assertTrue(batch > 1 && batch <= 3, engine[1]);
    assertTrue(e.get("decode_step_median_ms").asDouble() > 0, engine[1]);
    // 125 tokens computed (100 prompt tokens, then 5 x 5 decode tokens) in steps of at most 16
    assertTrue(e.get("steps").asInt() >= 8, engine[1]);
    assertEquals(16, e.get("max_batch_tokens").asInt());
    String[] dflt = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--prompts", "2",
        "--input-len", "8", "--output-len", "2", "--driver", "engine");
    assertEquals("0", dflt[0], dflt[2]);
    JsonNode d = new ObjectMapper().readTree(dflt[1]);
    assertEquals(2048, d.get("max_batch_tokens").asInt(), dflt[1]); // the CPU's step budget
    assertEquals(256, d.get("max_seqs").asInt(), dflt[1]);
    String[] bad = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--driver", "vllm");
    assertEquals("1", bad[0]);
    assertTrue(bad[2].contains("--driver must be loop or engine, got vllm"), bad[2]);
  }

  @Test
  void anUnknownPrecisionIsAnErrorThatNamesTheOption() {
    String[] r = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--precision", "fp8");
    assertEquals("1", r[0]);
    assertTrue(r[2].contains("--precision=fp8: expected exact (default), balanced or fast"), r[2]);
  }

  @Test
  void syntheticModelsNeedAGpu() {
    String[] r = run("bench", "--model", "synthetic:gpt-oss-20b", "--device", "cpu", "--prompts", "1");
    assertEquals("1", r[0]);
    assertTrue(r[2].contains("synthetic models are generated on the GPU"), r[2]);
  }

  @Test
  void cudaWithoutADriverIsAnErrorThatNamesTheDevice() {
    org.junit.jupiter.api.Assumptions.assumeFalse(java.nio.file.Files.exists(java.nio.file.Paths.get("/dev/nvidiactl")),
        "this machine has an NVIDIA driver");
    String[] r = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cuda:1", "--prompts", "1");
    assertEquals("1", r[0], r[1] + r[2]);
    assertTrue(r[2].contains("cuda:1"), r[2]);
  }
}
