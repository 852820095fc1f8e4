package ai.gptoss.spark.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.cli.GptossCli;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gptoss generate} and {@code spark-generate} give the same record, worded the same, for the same
 * line; every input line gets one (a blank one too), so record N answers line N; errors name the line and
 * its id, and say why a line is not JSON without Jackson's internals.
 */
class GenerateWordingTest {
  @TempDir Path tmp;

  static final List<String> LINES = List.of(
      "{\"id\": 1, \"prompt\": \"What is 6 + 7?\"}",
      "",
      "{\"id\": \"x\", \"input_ids\": [1, 2, 999999]}",
      "this is not json",
      "{\"id\": 5, \"input_ids\": [1, 2",
      "[1, 2]",
      "{\"id\": 7, \"prompt\": \"\"}",
      "{\"id\": 8, \"prompt\": 3}",
      "{\"id\": 9, \"prompt\": \"hi\", \"max_tokens\": 3}",
      "{\"id\": 10, \"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}",
      "{\"id\": 11, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"reasoning_effort\": \"extreme\"}",
      "{\"id\": 12, \"input_ids\": []}",
      "{\"id\": 13, \"prompt\": \"What is 1 + 1?\", \"max_new_tokens\": 2}",
      "{\"id\": 14, \"input_ids\": [1, 2], \"max_new_tokens\": 0}",
      "{\"id\": 15, \"prompt\": \"What is 2 + 2?\"}");

  @Test
  void generateAndSparkGenerateWordEveryLineAlike() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Path in = tmp.resolve("in.jsonl");
    Files.write(in, LINES);
    Path cliOut = tmp.resolve("cli.jsonl");
    assertEquals(0, GptossCli.run("generate", "--device", "cpu", "--input", in.toString(), "--output", cliOut.toString()));
    List<JsonNode> cli = new ArrayList<>();
    for (String l : Files.readAllLines(cliOut)) cli.add(json.readTree(l));
    Path sparkOut = tmp.resolve("spark");
    java.io.PrintStream oldErr = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertEquals(0, SparkGenerate.run("--input", in.toString(), "--output", sparkOut.toString(), "--master", "local[2]",
          "--partitions", "3"));
    } finally {
      System.setErr(oldErr);
    }
    String progress = err.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(progress.contains("spark-generate: 15/15 rows (100%), ") && progress.contains(" tokens/s"), progress);
    List<JsonNode> spark = new ArrayList<>();
    try (Stream<Path> s = Files.list(sparkOut)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
        for (String l : Files.readAllLines(p)) spark.add(json.readTree(l));
      }
    }
    assertEquals(LINES.size(), cli.size(), "one record per input line: " + cli);
    assertEquals(LINES.size(), spark.size(), "one record per input line: " + spark);
    for (int i = 0; i < LINES.size(); i++) {
      JsonNode c = cli.get(i), s = spark.get(i);
      assertEquals(c.get("id"), s.get("id"), "line " + (i + 1));
      assertEquals(c.get("finish_reason"), s.get("finish_reason"), "line " + (i + 1) + ": " + c + " vs " + s);
      assertEquals(c.get("error"), s.get("error"), "line " + (i + 1));
      // spark-generate adds the harmony fields to prompt and messages lines only.
      if (s.has("final")) assertEquals(c.get("final"), s.get("final"), "line " + (i + 1));
    }
    assertEquals("13", cli.get(0).get("final").asText());
    assertTrue(cli.get(0).get("error").isNull());
    assertEquals("line 2: " + ai.gptoss.batch.LineErrors.BLANK, cli.get(1).get("error").asText());
    assertEquals("line 3 (id \"x\"): input_ids[2] = 999999 is outside the vocabulary (vocab_size 201088)",
        cli.get(2).get("error").asText());
    for (int i : new int[] {3, 4}) {
      String e = cli.get(i).get("error").asText();
      assertTrue(e.startsWith("line " + (i + 1) + ": not valid JSON at column "), e);
      assertFalse(e.contains("Source") || e.contains("REDACTED") || e.contains("Feature") || e.contains("\n"), e);
    }
    assertEquals("line 13 (id 13): cut off by max_new_tokens=2 before the model finished",
        cli.get(12).get("error").asText().substring(0, "line 13 (id 13): cut off by max_new_tokens=2 before the model finished".length()));
    assertEquals("4", cli.get(14).get("final").asText());
  }
}
