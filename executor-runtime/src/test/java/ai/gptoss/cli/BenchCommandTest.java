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

/** The bench command through the engine on the CPU backend (CI has no GPU), and its errors. */
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
  void theWorkloadRunsThroughTheEngineWithOrWithoutDriverEngine() throws Exception {
    String[] common = {"bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--prompts", "5",
        "--input-len", "20", "--output-len", "6", "--max-batch-tokens", "16", "--max-seqs", "3", "--page-size", "4"};
    String[] named = run(java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of("--driver", "engine"))
        .toArray(String[]::new)); // as scripts written before the loop's removal pass it
    String[] engine = run(common); // the engine is the default driver
    assertEquals("0", named[0], named[2]);
    assertEquals("0", engine[0], engine[2]);
    JsonNode n = new ObjectMapper().readTree(named[1]), e = new ObjectMapper().readTree(engine[1]);
    assertEquals("engine", n.get("driver").asText());
    assertEquals("engine", e.get("driver").asText());
    assertEquals(30, n.get("output_tokens").asInt(), named[1]);
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
    assertTrue(bad[2].contains("--driver must be engine (the only driver), got vllm"), bad[2]);
  }

  @Test
  void driverLoopFailsSayingTheLoopWasRemovedAndWhatToPassInstead() {
    String[] r = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--prompts", "1", "--driver", "loop");
    assertEquals("1", r[0], r[1] + r[2]);
    assertEquals("", r[1], "nothing measured, no JSON line");
    assertTrue(r[2].contains("gptoss bench: --driver loop: the bench's own batching loop was removed on 2026-12-07 once the "
        + "engine driver matched it (0.98x its output tokens/s on an H100 at equal step budgets, BENCHMARKS.md); "
        + "pass --driver engine or leave --driver out"), r[2]);
    // Options only the engine had once (they needed --driver engine) no longer hide why loop fails.
    String[] mixed = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--driver", "loop",
        "--random-range-ratio", "0.5", "--shared-prefix-len", "8");
    assertEquals("1", mixed[0]);
    assertTrue(mixed[2].contains("the bench's own batching loop was removed"), mixed[2]);
  }

  @Test
  void theSharedPrefixBenchReportsHitsAndTheBytesTheCacheHeld() throws Exception {
    // One sequence at a time, so every prompt after the first finds the shared 40 tokens cached (10 pages of 4).
    String[] common = {"bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--driver", "engine", "--prompts", "6",
        "--input-len", "8", "--output-len", "3", "--max-seqs", "1", "--page-size", "4", "--shared-prefix-len", "40"};
    String[] on = run(common);
    String[] off = run(java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of("--prefix-caching", "false"))
        .toArray(String[]::new));
    assertEquals("0", on[0], on[2]);
    assertEquals("0", off[0], off[2]);
    JsonNode j = new ObjectMapper().readTree(on[1]), k = new ObjectMapper().readTree(off[1]);
    assertEquals(5 * 40, j.get("cached_tokens").asInt(), on[1]);
    assertEquals(Math.round(200.0 / (6 * 48) * 1000) / 1000.0, j.get("prefix_hit_rate").asDouble(), on[1]);
    // tiny-a: 2 full and 2 sliding layers, 2 KV heads of 16, float32 K/V on the CPU: K and V x 2 x 4 x 32 x 4 bytes.
    assertEquals(2 * 2 * 4 * 32 * 4, j.get("kv_page_bytes_full").asLong(), on[1]);
    assertEquals(2 * 2 * 4 * 32 * 4, j.get("kv_page_bytes_sliding").asLong(), on[1]);
    // Every computed page is registered in both pools and nothing is evicted: at the end, the two warm-up
    // requests' 4 pages each (16 prompt + 4 new tokens, 19 computed: 4 full pages) and the six prompts'
    // 12 pages of the first plus 2 of its own for each of the other five (48 + 2 computed tokens: 12 pages,
    // 10 shared), in each pool: 2 x (2 x 4 + 12 + 5 x 2) = 60 pages of 2,048 bytes.
    assertEquals(60, j.get("prefix_cache_pages_max").asInt(), on[1]);
    assertEquals(60 * 2048, j.get("prefix_cache_bytes_max").asLong(), on[1]);
    assertEquals(0, k.get("cached_tokens").asInt(), off[1]);
    assertEquals(0, k.get("prefix_cache_bytes_max").asLong(), off[1]);
    assertEquals(j.get("output_tokens").asInt(), k.get("output_tokens").asInt());
  }

  @Test
  void anUnknownPrecisionIsAnErrorThatNamesTheOption() {
    String[] r = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--precision", "fp8");
    assertEquals("1", r[0]);
    assertTrue(r[2].contains("--precision=fp8: expected exact, balanced or fast (default)"), r[2]);
  }

  @Test
  void anUnknownKvCacheDtypeIsAnErrorThatNamesTheFlag() {
    String[] r = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--kv-cache-dtype", "int4");
    assertEquals("1", r[0]);
    assertTrue(r[2].contains("--kv-cache-dtype=int4: expected auto (default), bf16 or fp8"), r[2]);
  }

  @Test
  void theReportNamesTheKvCacheDtypeAskedForAndTheCpusFloat32() throws Exception {
    String[] common = {"bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--prompts", "2",
        "--input-len", "8", "--output-len", "3", "--page-size", "4", "--driver", "engine"};
    String[] dflt = run(common);
    String[] asked = run(java.util.stream.Stream.concat(java.util.Arrays.stream(common),
        java.util.stream.Stream.of("--kv-cache-dtype", "FP8", "--precision", "exact")).toArray(String[]::new));
    assertEquals("0", asked[0], asked[2]);
    JsonNode d = new ObjectMapper().readTree(dflt[1]), a = new ObjectMapper().readTree(asked[1]);
    assertEquals("fp8", a.get("kv_cache_dtype").asText(), asked[1]);
    assertEquals("float32", a.get("precision").asText(), "the CPU backend is float32 in every mode: " + asked[1]);
    assertEquals("float32", d.get("precision").asText(), dflt[1]);
  }

  @Test
  void mixedLengthsRunEachRequestToItsDrawnLengthWithTheLimitOfThoseLengths() throws Exception {
    String[] r = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--driver", "engine", "--prompts", "6",
        "--input-len", "20", "--output-len", "8", "--random-range-ratio", "0.5", "--seed", "3", "--page-size", "4",
        "--ceiling-gbps", "100", "--ceiling-tflops", "1");
    assertEquals("0", r[0], r[2]);
    JsonNode j = new ObjectMapper().readTree(r[1]);
    BenchPrompts.Lengths drawn = BenchPrompts.Lengths.drawn(6, 20, 8, 0.5, 3);
    assertEquals(drawn.outputTokens(), j.get("output_tokens").asLong(), r[1]);
    assertEquals(drawn.inputTokens(), j.get("input_tokens").asLong(), r[1]);
    assertEquals(0.5, j.get("random_range_ratio").asDouble());
    ThroughputLimit limit = ThroughputLimit.of(ai.gptoss.model.ModelConfig.read(Golden.dir("tiny-a").resolve("config.json")), drawn, 4, 100e9, 1e12);
    assertEquals(limit.outputTokensPerSecond(), j.get("limit_output_tokens_per_s").asDouble(), 0.001, r[1]);
    assertEquals(j.get("output_tokens_per_s").asDouble() / j.get("limit_output_tokens_per_s").asDouble(),
        j.get("fraction_of_limit").asDouble(), 0.002, r[1]);
    assertTrue(!j.has("prefill_tokens_per_s"), "decode ran: not prefill alone");
  }

  @Test
  void outputLengthOneMeasuresPrefillAloneAgainstTheMatrixRateLimit() throws Exception {
    String[] r = run("bench", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--driver", "engine", "--prompts", "4",
        "--input-len", "24", "--output-len", "1", "--page-size", "4", "--ceiling-gbps", "100", "--ceiling-tflops", "0.0001");
    assertEquals("0", r[0], r[2]);
    JsonNode j = new ObjectMapper().readTree(r[1]);
    assertEquals(96, j.get("input_tokens").asLong(), r[1]);
    double seconds = j.get("seconds").asDouble(), rounding = 0.0006 / seconds; // seconds are printed to 1 ms
    double prefill = j.get("prefill_tokens_per_s").asDouble();
    assertEquals(96 / seconds, prefill, rounding * prefill + 0.001, r[1]);
    assertEquals(0, j.get("limit_decode_s").asDouble(), r[1]);
    double fraction = j.get("prefill_limit_fraction").asDouble();
    assertTrue(j.get("limit_prefill_s").asDouble() > 0.1, r[1]); // ~50 MFLOP at 100 MFLOP/s: a measurable limit
    assertEquals(j.get("limit_prefill_s").asDouble() / seconds, fraction, rounding * fraction + 0.002, r[1]);
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
