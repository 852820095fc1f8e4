package ai.gptoss.spark.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.spark.TestData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** spark-generate in local mode with 4 partitions reproduces the tiny-a golden greedy ids, in input order. */
class SparkGenerateTest {
  @TempDir Path tmp;

  @Test
  void goldenGreedyIdsInLocalModeWithFourPartitions() throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode golden = json.readTree(TestData.resource("tiny-a.golden.json").toFile());
    List<String> in = new ArrayList<>();
    List<JsonNode> cases = new ArrayList<>();
    for (JsonNode c : golden.get("cases")) {
      ObjectNode line = json.createObjectNode();
      line.put("id", c.get("name").asText());
      line.set("input_ids", c.get("input_ids"));
      line.put("max_new_tokens", c.get("greedy_ids").size());
      in.add(line.toString());
      cases.add(c);
    }
    in.add(2, "{\"id\": \"bad\", \"input_ids\": [1, 5000]}");
    in.add(4, "this is not json");
    Path input = tmp.resolve("in.jsonl");
    Files.write(input, in);
    Path out = tmp.resolve("out");

    int rc = SparkGenerate.run("--input", input.toString(), "--output", out.toString(), "--model",
        TestData.resource("tiny-a").toString(), "--master", "local[2]", "--partitions", "4");
    assertEquals(0, rc);

    List<Path> parts;
    try (Stream<Path> s = Files.list(out)) {
      parts = s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    }
    assertTrue(parts.size() >= 2 && parts.size() <= 4, "a part file per non-empty partition: " + parts);
    List<JsonNode> records = new ArrayList<>();
    for (Path p : parts) for (String line : Files.readAllLines(p)) records.add(json.readTree(line));
    assertEquals(in.size(), records.size());

    JsonNode bad = records.get(2);
    assertEquals("bad", bad.get("id").asText());
    assertEquals("error", bad.get("finish_reason").asText());
    assertTrue(bad.get("error").asText().contains("line 3") && bad.get("error").asText().contains("5000"), bad.toString());
    JsonNode notJson = records.get(4);
    assertTrue(notJson.get("id").isNull());
    assertTrue(notJson.get("error").asText().startsWith("line 5: not valid JSON"), notJson.toString());

    records.remove(4);
    records.remove(2);
    for (int i = 0; i < cases.size(); i++) {
      JsonNode c = cases.get(i), r = records.get(i);
      assertEquals(c.get("name").asText(), r.get("id").asText(), "order");
      assertEquals(c.get("greedy_ids"), r.get("output_ids"), c.get("name").asText());
      assertEquals("length", r.get("finish_reason").asText());
      assertEquals(c.get("input_ids").size(), r.get("prompt_tokens").asInt());
      assertEquals(c.get("greedy_ids").size(), r.get("completion_tokens").asInt());
      assertTrue(r.get("error").asText().contains("cut off by max_new_tokens=" + c.get("greedy_ids").size()),
          r.toString());
      assertTrue(!r.has("final"), "token-id lines carry no harmony fields");
    }
  }

  @Test
  void promptAndMessagesLinesGetTheHarmonyFields() throws Exception {
    Path input = tmp.resolve("qa.jsonl");
    Files.write(input, List.of(
        "{\"id\": 1, \"prompt\": \"What is 6 + 7?\"}",
        "",
        "{\"id\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"Norway's capital?\"}], \"max_new_tokens\": 48}",
        "{\"id\": 3, \"prompt\": \"What is 6 + 7?\", \"input_ids\": [1]}",
        // Per-line chat options on messages lines, as gptoss generate takes them.
        "{\"id\": 4, \"messages\": [{\"role\": \"user\", \"content\": \"What is 9 - 4?\"}],"
            + " \"reasoning_effort\": \"low\", \"date\": \"2025-06-28\"}",
        "{\"id\": 5, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"reasoning_effort\": \"extreme\"}",
        "{\"id\": 6, \"messages\": [{\"role\": \"user\", \"content\": \"What is 9 - 4?\"}]}"));
    Path out = tmp.resolve("qa-out");
    assertEquals(0, SparkGenerate.run("--input", input.toString(), "--output", out.toString(), "--master", "local[2]",
        "--partitions", "2"));
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> records = new ArrayList<>();
    try (Stream<Path> s = Files.list(out)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
        for (String line : Files.readAllLines(p)) records.add(json.readTree(line));
      }
    }
    assertEquals(7, records.size(), "one record per line, a blank one too: " + records);
    assertEquals("13", records.get(0).get("final").asText(), records.get(0).toString());
    assertTrue(records.get(0).get("analysis").asText().contains("13"), records.get(0).toString());
    assertTrue(records.get(0).get("text").asText().contains("<|channel|>final<|message|>13"), records.get(0).toString());
    assertTrue(records.get(1).get("error").asText().startsWith("line 2: blank line"), records.get(1).toString());
    assertEquals("Oslo", records.get(2).get("final").asText(), records.get(2).toString());
    assertTrue(records.get(3).get("error").asText().contains("has both 'prompt' and 'input_ids'"), records.get(3).toString());
    assertEquals("5", records.get(4).get("final").asText(), records.get(4).toString());
    assertTrue(records.get(4).get("error").isNull(), records.get(4).toString());
    assertTrue(records.get(5).get("error").asText().contains("reasoning_effort"), records.get(5).toString());
    // The line's date went into the system message ("Current date: 2025-06-28").
    assertTrue(records.get(4).get("prompt_tokens").asInt() > records.get(6).get("prompt_tokens").asInt(),
        records.get(4) + " vs " + records.get(6));
  }

  @Test
  void responseFormatLinesGetTheirAnswerAsValue() throws Exception {
    Path input = tmp.resolve("typed.jsonl");
    Files.write(input, List.of(
        "{\"id\": \"a\", \"prompt\": \"What is 6 + 7?\", \"response_format\": {\"type\": \"integer\"}}",
        "{\"id\": \"b\", \"prompt\": \"What is 6 + 7?\", \"response_format\": {\"type\": \"integer\"}, \"max_new_tokens\": 4}",
        "{\"id\": \"c\", \"prompt\": \"What is 6 + 7?\", \"response_format\": {\"type\": \"string\", \"format\": \"date\"}}",
        "{\"id\": \"d\", \"prompt\": \"What is 6 + 7?\"}"));
    Path out = tmp.resolve("typed-out");
    assertEquals(0, SparkGenerate.run("--input", input.toString(), "--output", out.toString(), "--master", "local[2]",
        "--partitions", "1"));
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> records = new ArrayList<>();
    for (Path p : parts(out)) for (String line : Files.readAllLines(p)) records.add(json.readTree(line));
    assertEquals(4, records.size(), records.toString());
    JsonNode a = records.get(0), b = records.get(1), c = records.get(2), d = records.get(3);
    assertTrue(a.get("value").isIntegralNumber() && a.get("value").longValue() == 13 && a.get("error").isNull(), a.toString());
    assertTrue(b.get("value").isNull(), b.toString());
    assertEquals("line 2 (id \"b\"): response_format: the answer ended before its JSON value closed (finish_reason=length, "
        + "max_new_tokens=4; the model had not started its final message); raise max_new_tokens", b.get("error").asText());
    assertTrue(c.get("error").asText().startsWith("line 3 (id \"c\"): ") && c.get("error").asText().contains("\"format\""),
        c.toString());
    assertTrue(!d.has("value") && "13".equals(d.get("final").asText()), "lines without response_format: as before: " + d);
  }

  @Test
  void theResponseFormatFlagIsTheDefaultOfLinesWithoutTheirOwn() throws Exception {
    Path input = tmp.resolve("flag.jsonl");
    Files.write(input, List.of(
        "{\"id\": \"default\", \"prompt\": \"What is 6 + 7?\"}",
        "{\"id\": \"off\", \"prompt\": \"What is 6 + 7?\", \"response_format\": null}",
        "{\"id\": \"own\", \"prompt\": \"What is 6 + 7?\", \"response_format\": {\"type\": \"string\", \"maxLength\": 3}}"));
    Path out = tmp.resolve("flag-out");
    assertEquals(0, SparkGenerate.run("--input", input.toString(), "--output", out.toString(), "--master", "local[2]",
        "--partitions", "1", "--response-format", "{\"type\": \"integer\", \"minimum\": 0}"));
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> records = new ArrayList<>();
    for (Path p : parts(out)) for (String line : Files.readAllLines(p)) records.add(json.readTree(line));
    assertEquals(3, records.size(), records.toString());
    JsonNode dflt = records.get(0), off = records.get(1), own = records.get(2);
    assertTrue(dflt.get("value").isIntegralNumber() && dflt.get("value").longValue() == 13 && dflt.get("error").isNull(),
        dflt.toString());
    assertTrue(!off.has("value") && "13".equals(off.get("final").asText()), "null turns the default off: " + off);
    assertTrue(own.get("value").isTextual() && own.get("value").textValue().length() <= 3 && own.get("error").isNull(),
        "the line's own schema: " + own);
  }

  @Test
  void aBadResponseFormatFlagFailsAtStartNamingTheFlag() throws Exception {
    Path input = tmp.resolve("one.jsonl");
    Files.write(input, List.of("{\"prompt\": \"hi\"}"));
    Path out = tmp.resolve("never");
    java.io.PrintStream oldErr = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int rc, missing;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      rc = SparkGenerate.run("--input", input.toString(), "--output", out.toString(), "--response-format",
          "{\"type\": \"string\", \"format\": \"email\"}");
      missing = SparkGenerate.run("--input", input.toString(), "--output", out.toString(), "--response-format",
          "@" + tmp.resolve("nope.json"));
    } finally {
      System.setErr(oldErr);
    }
    String text = err.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(1, rc, text);
    assertEquals(1, missing, text);
    assertTrue(text.contains("gptoss spark-generate: --response-format: response_format: unsupported keyword \"format\" at $"), text);
    assertTrue(text.contains("gptoss spark-generate: --response-format @" + tmp.resolve("nope.json") + ": no such file"), text);
    assertTrue(!Files.exists(out), "nothing ran");
  }

  @Test
  void aBadTensorParallelSizeFailsAtStartNamingTheFlag() throws Exception {
    Path input = tmp.resolve("one.jsonl");
    Files.write(input, List.of("{\"prompt\": \"hi\"}"));
    Path out = tmp.resolve("never");
    java.io.PrintStream oldErr = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int rc;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      rc = SparkGenerate.run("--input", input.toString(), "--output", out.toString(), "--tensor-parallel-size", "two");
    } finally {
      System.setErr(oldErr);
    }
    String text = err.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(1, rc, text);
    assertTrue(text.contains("--tensor-parallel-size=two: expected a whole number of ranks"), text);
    assertTrue(!Files.exists(out), "nothing ran");
  }

  private static List<Path> parts(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    }
  }

  @Test
  void anExistingOutputNeedsAModeAndAnAbortedRunResumesWhereItStopped() throws Exception {
    List<TestData.Question> qs = TestData.questions(48);
    List<String> in = new ArrayList<>();
    for (int i = 0; i < qs.size(); i++) in.add("{\"id\": " + i + ", \"prompt\": \"" + qs.get(i).question() + "\"}");
    Path input = tmp.resolve("many.jsonl");
    Files.write(input, in);
    Path out = tmp.resolve("resumed");
    String[] args = {"--input", input.toString(), "--output", out.toString(), "--master", "local[1]", "--partitions", "8"};
    // local[1] runs the 8 tasks one after another: abort the job as soon as the first has committed.
    java.util.concurrent.atomic.AtomicInteger rc = new java.util.concurrent.atomic.AtomicInteger(-1);
    Thread run = new Thread(() -> rc.set(SparkGenerate.run(args)));
    run.start();
    while (parts(out).isEmpty() && run.isAlive()) Thread.sleep(10);
    org.apache.spark.sql.SparkSession.getDefaultSession().get().sparkContext().cancelAllJobs();
    run.join();
    assertEquals(1, rc.get(), "the run was aborted mid-way");
    List<Path> committed = parts(out);
    assertTrue(!committed.isEmpty() && committed.size() < 8, "committed part files: " + committed);
    assertTrue(!Files.exists(out.resolve("_SUCCESS")));
    List<String> before = new ArrayList<>();
    for (Path p : committed) before.addAll(Files.readAllLines(p));

    // The directory exists: without --mode or --resume nothing is touched.
    assertEquals(1, SparkGenerate.run(args));
    assertEquals(committed, parts(out));

    List<String> resume = new ArrayList<>(List.of(args));
    resume.add("--resume");
    assertEquals(0, SparkGenerate.run(resume.toArray(new String[0])));
    List<Path> all = parts(out);
    assertTrue(all.containsAll(committed), "the committed part files are kept, not rerun: " + all);
    List<String> after = new ArrayList<>();
    for (Path p : committed) after.addAll(Files.readAllLines(p));
    assertEquals(before, after);
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> records = new ArrayList<>();
    for (Path p : all) for (String line : Files.readAllLines(p)) records.add(json.readTree(line));
    assertEquals(qs.size(), records.size(), "every line once");
    int correct = 0;
    for (int i = 0; i < qs.size(); i++) {
      assertEquals(i, records.get(i).get("id").asInt(), "input order");
      if (qs.get(i).answer().equals(records.get(i).get("final").asText())) correct++;
    }
    assertTrue(correct >= 45, correct + "/48");
    assertTrue(Files.exists(out.resolve("_SUCCESS")));

    // Another --partitions is another run: --resume refuses; --mode overwrite replaces the directory.
    String[] other = {"--input", input.toString(), "--output", out.toString(), "--master", "local[2]", "--partitions", "2"};
    List<String> otherResume = new ArrayList<>(List.of(other));
    otherResume.add("--resume");
    assertEquals(1, SparkGenerate.run(otherResume.toArray(new String[0])));
    List<String> overwrite = new ArrayList<>(List.of(other));
    overwrite.addAll(List.of("--mode", "overwrite"));
    assertEquals(0, SparkGenerate.run(overwrite.toArray(new String[0])));
    assertEquals(2, parts(out).size());
  }
}
