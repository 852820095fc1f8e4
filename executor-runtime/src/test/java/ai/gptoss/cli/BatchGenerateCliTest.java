package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.batch.RequestLine;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gptoss generate --input IN.jsonl --output OUT.jsonl} on tiny-a: good and bad lines mixed. */
class BatchGenerateCliTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static ModelWeights weights;
  static JsonNode cases;

  @BeforeAll
  static void load() {
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      weights = ModelWeights.load(ckpt);
    }
    cases = Golden.json("tiny-a.golden.json").get("cases");
  }

  static int[] alone(int[] prompt, int maxNew, SamplingParams sp) {
    try (CpuBackend b = new CpuBackend(weights)) {
      return new SingleSequence(b, prompt.length + maxNew + 1).generate(prompt, maxNew, sp, List.of(1022)).stream()
          .mapToInt(Integer::intValue).toArray();
    }
  }

  static String ids(JsonNode c) {
    return c.get("input_ids").toString();
  }

  /** {@link GenerateRuns#run} on tiny-a. */
  static GenerateRuns.Run run(Path dir, List<String> lines, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--model", Golden.dir("tiny-a").toString()));
    args.addAll(List.of(extra));
    return GenerateRuns.run(dir, lines, args.toArray(String[]::new));
  }

  @Test
  void prefixCachingSwitchAndCachedTokens(@TempDir Path dir) throws Exception {
    // One sequence per step, so the second copy of the prompt starts after the first finished.
    JsonNode c = cases.get(4);
    int len = c.get("input_ids").size();
    List<String> lines = List.of("{\"id\": 1, \"input_ids\": " + ids(c) + "}", "{\"id\": 2, \"input_ids\": " + ids(c) + "}");
    GenerateRuns.Run on = run(dir, lines, "--max-new-tokens", "4", "--max-seqs-per-step", "1");
    GenerateRuns.Run off = run(dir, lines, "--max-new-tokens", "4", "--max-seqs-per-step", "1", "--prefix-caching", "false");
    assertEquals(0, on.status(), on.err());
    assertEquals(0, off.status(), off.err());
    assertEquals(0, on.out().get(0).get("cached_tokens").asInt());
    assertEquals((len - 1) / 16 * 16, on.out().get(1).get("cached_tokens").asInt(), on.out().toString());
    for (int i = 0; i < 2; i++) {
      assertEquals(0, off.out().get(i).get("cached_tokens").asInt());
      assertEquals(off.out().get(i).get("output_ids"), on.out().get(i).get("output_ids"));
    }
    assertEquals(2, run(dir, lines, "--prefix-caching", "maybe").status());
  }

  @Test
  void errorLinesAndGoodLinesMixedInInputOrder(@TempDir Path dir) throws Exception {
    List<String> lines = List.of(
        "{\"id\": \"a\", \"input_ids\": " + ids(cases.get(3)) + ", \"max_new_tokens\": 6}",
        "{\"id\": 2, \"input_ids\": [1, 2, 99999]}",
        "{\"id\": \"bad-json\", \"input_ids\": [1, 2",
        "",
        "{\"id\": \"b\", \"input_ids\": " + ids(cases.get(0)) + ", \"max_new_tokens\": 5, \"temperature\": 0.9,"
            + " \"top_p\": 0.95, \"top_k\": 50, \"seed\": 17}",
        "{\"id\": \"long\", \"input_ids\": " + ids(cases.get(4)) + "}",
        "{\"id\": \"typo\", \"input_ids\": [3], \"max_tokens\": 4}",
        "{\"id\": \"empty\", \"input_ids\": []}",
        "{\"id\": \"frac\", \"input_ids\": [3, 4.5]}",
        "[1, 2, 3]",
        "{\"input_ids\": " + ids(cases.get(2)) + ", \"max_new_tokens\": 3}");
    GenerateRuns.Run r = run(dir, lines, "--max-model-len", "60", "--max-new-tokens", "4", "--max-tokens-per-step", "16");
    assertEquals(0, r.status(), r.err());
    List<JsonNode> out = r.out();
    assertEquals(11, out.size(), "one record per line, a blank one too: " + out);
    for (JsonNode o : out) {
      List<String> keys = new ArrayList<>();
      for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) keys.add(it.next());
      assertEquals(List.of("id", "output_ids", "finish_reason", "prompt_tokens", "completion_tokens", "cached_tokens", "error"), keys);
    }
    // Good lines: the ids they get alone (greedy and seeded), with counts.
    int[] a = Golden.ints(cases.get(3).get("input_ids"));
    assertEquals("a", out.get(0).get("id").asText());
    assertArrayEquals(alone(a, 6, SamplingParams.greedy()), Golden.ints(out.get(0).get("output_ids")));
    assertEquals("length", out.get(0).get("finish_reason").asText());
    assertEquals(40, out.get(0).get("prompt_tokens").asInt());
    assertEquals(6, out.get(0).get("completion_tokens").asInt());
    // Cut off by its max_new_tokens: never silent.
    assertTrue(out.get(0).get("error").asText().startsWith("line 1 (id \"a\"): cut off by max_new_tokens=6 before the model finished"),
        out.get(0).toString());
    assertEquals("b", out.get(4).get("id").asText());
    assertArrayEquals(alone(Golden.ints(cases.get(0).get("input_ids")), 5, new SamplingParams(0.9f, 0.95f, 50, 17, 0)),
        Golden.ints(out.get(4).get("output_ids")));
    assertTrue(out.get(10).get("id").isNull());
    assertEquals(3, out.get(10).get("completion_tokens").asInt());
    assertArrayEquals(alone(Golden.ints(cases.get(2).get("input_ids")), 3, SamplingParams.greedy()),
        Golden.ints(out.get(10).get("output_ids")));
    // Error lines, in place, naming the line, its id and the problem.
    expectError(out.get(1), 2, "line 2 (id 2): input_ids[2] = 99999 is outside the vocabulary");
    assertEquals(3, out.get(1).get("prompt_tokens").asInt());
    expectError(out.get(2), null, "line 3: not valid JSON at column ");
    expectError(out.get(3), null, "line 4: blank line");
    expectError(out.get(5), "long", "line 6 (id \"long\"): prompt of 97 tokens leaves no room", "max model length of 60");
    expectError(out.get(6), "typo", "line 7 (id \"typo\"): unknown key 'max_tokens'");
    expectError(out.get(7), "empty", "line 8 (id \"empty\"): 'input_ids' is empty");
    expectError(out.get(8), "frac", "line 9 (id \"frac\"): 'input_ids' [1] is not a token id: 4.5");
    expectError(out.get(9), null, "line 10: expected a JSON object");
    assertTrue(r.err().contains("generate: 11/11 rows (100%)"), r.err());
    assertTrue(r.err().contains("tokens/s"), r.err());
  }

  static void expectError(JsonNode o, Object id, String... parts) {
    if (id == null) assertTrue(o.get("id").isNull(), o.toString());
    else assertEquals(id.toString(), o.get("id").asText());
    assertEquals("error", o.get("finish_reason").asText(), o.toString());
    assertEquals(0, o.get("output_ids").size());
    assertEquals(0, o.get("completion_tokens").asInt());
    for (String p : parts) assertTrue(o.get("error").asText().contains(p), o.get("error").asText() + " lacks " + p);
  }

  @Test
  void benchmarkReportsBothModesOnTheSameInputs(@TempDir Path dir) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) lines.add("{\"id\": " + i + ", \"input_ids\": " + ids(cases.get(i)) + "}");
    GenerateRuns.Run r = run(dir, lines, "--max-new-tokens", "8", "--benchmark");
    assertEquals(0, r.status(), r.err());
    assertEquals(5, r.out().size());
    assertTrue(r.err().contains("benchmark: batch "), r.err());
    assertTrue(r.err().contains("5/5 outputs identical"), r.err());
  }

  @Test
  void smallWindowsKeepInputOrder() throws Exception {
    StringBuilder in = new StringBuilder();
    int n = 12;
    for (int i = 0; i < n; i++) {
      JsonNode c = cases.get(i % cases.size());
      if (i % 4 == 3) in.append("not json\n");
      // Later lines are shorter, so they finish before earlier ones and must wait to be written.
      in.append("{\"id\": ").append(i).append(", \"input_ids\": ").append(ids(c)).append(", \"max_new_tokens\": ")
          .append(n + 2 - i).append("}\n");
    }
    RequestLine parser = new RequestLine(new RequestLine.Defaults(4, SamplingParams.greedy()), List.of(1022)); // tiny-a eos, as alone()
    for (int window : new int[] {1, 2, 5}) {
      java.io.StringWriter out = new java.io.StringWriter();
      try (CpuBackend b = new CpuBackend(weights);
          ai.gptoss.engine.Engine e = ai.gptoss.engine.Engine.start(b, ai.gptoss.engine.EngineConfig.defaults())) {
        BatchRun.Summary s = new BatchRun(e, parser, window, null, false)
            .run(new java.io.BufferedReader(new java.io.StringReader(in.toString())), out, -1);
        assertEquals(n + n / 4, s.lines());
      }
      List<JsonNode> recs = new ArrayList<>();
      for (String l : out.toString().split("\n")) recs.add(JSON.readTree(l));
      int k = 0;
      for (int i = 0; i < n; i++) {
        if (i % 4 == 3) assertEquals("error", recs.get(k++).get("finish_reason").asText());
        JsonNode r = recs.get(k++);
        assertEquals(i, r.get("id").asInt(), "window " + window);
        int[] prompt = Golden.ints(cases.get(i % cases.size()).get("input_ids"));
        assertArrayEquals(alone(prompt, n + 2 - i, SamplingParams.greedy()), Golden.ints(r.get("output_ids")));
      }
    }
  }

  @Test
  void singleInputIdsModeRunsThroughTheEngine() throws Exception {
    PrintStream oldOut = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int status;
    try {
      status = GptossCli.run("generate", "--model", Golden.dir("tiny-a").toString(), "--device", "cpu", "--input-ids",
          "5,6,7", "--max-new-tokens", "5");
    } finally {
      System.setOut(oldOut);
    }
    assertEquals(0, status);
    JsonNode o = JSON.readTree(out.toString(StandardCharsets.UTF_8));
    assertArrayEquals(alone(new int[] {5, 6, 7}, 5, SamplingParams.greedy()), Golden.ints(o.get("output_ids")));
    assertEquals("length", o.get("finish_reason").asText());
    assertTrue(o.get("error").asText().startsWith("cut off by max_new_tokens=5"), o.toString());
  }

  @Test
  void maxNewTokensDefaultsToAutoTheRestOfTheContext(@TempDir Path dir) throws Exception {
    var spec = new picocli.CommandLine(new GptossCli()).getSubcommands().get("generate").getCommandSpec();
    assertEquals(ai.gptoss.batch.MaxNewTokens.AUTO, spec.findOption("--max-new-tokens").defaultValue());
    // tiny-a never emits its eos on this prompt: auto runs it to the end of the context (--max-model-len 50),
    // and the record says it was cut off there; "auto" on a line works too.
    GenerateRuns.Run r = run(dir, List.of("{\"id\": 1, \"input_ids\": [5, 6, 7]}",
        "{\"id\": 2, \"input_ids\": [5, 6, 7], \"max_new_tokens\": \"auto\"}"), "--max-model-len", "50");
    assertEquals(0, r.status(), r.err());
    for (JsonNode o : r.out()) {
      assertEquals("length", o.get("finish_reason").asText(), o.toString());
      assertEquals(47, o.get("completion_tokens").asInt(), o.toString());
      assertTrue(o.get("error").asText().contains("cut off at the end of the model's context after 47 generated tokens"),
          o.toString());
    }
  }

  @Test
  void aKilledRunNeverLeavesACutOffFileUnderTheOutputName(@TempDir Path dir) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 4000; i++) lines.add("{\"id\": " + i + ", \"input_ids\": " + ids(cases.get(i % cases.size())) + "}");
    Path in = dir.resolve("in.jsonl"), out = dir.resolve("out.jsonl"), partial = dir.resolve(".out.jsonl.partial");
    Files.write(in, lines, StandardCharsets.UTF_8);
    Files.writeString(out, "the previous run's results\n");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), GptossCli.class.getName(), "generate", "--model",
        Golden.dir("tiny-a").toString(), "--device", "cpu", "--input", in.toString(), "--output", out.toString(),
        "--max-new-tokens", "200").redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
    try {
      long deadline = System.nanoTime() + 120_000_000_000L;
      while ((!Files.exists(partial) || Files.size(partial) == 0) && p.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(p.isAlive(), "the run was still going when killed: " + Files.readString(dir.resolve("log")));
    } finally {
      p.destroyForcibly().waitFor();
    }
    assertEquals("the previous run's results\n", Files.readString(out), "killed mid-way: the old file is untouched");
    // A complete run replaces it in one step and leaves no partial file.
    GenerateRuns.Run r = run(dir, lines.subList(0, 3), "--max-new-tokens", "2");
    assertEquals(0, r.status(), r.err());
    assertEquals(3, r.out().size());
    assertTrue(!Files.exists(partial));
  }
}
