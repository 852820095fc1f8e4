package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate --ignore-eos}: stop tokens no longer end a request; each generates its max_new_tokens. */
class IgnoreEosCliTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyRequestGeneratesItsMaxNewTokens(@TempDir Path dir) throws Exception {
    List<String> lines = List.of("{\"id\": 1, \"prompt\": \"What is 3 + 4?\", \"max_new_tokens\": 40}",
        "{\"id\": 2, \"prompt\": \"What is 2 + 2?\", \"max_new_tokens\": 33}");
    for (JsonNode o : run(dir, lines)) assertEquals("stop", o.get("finish_reason").asText(), o.toString());
    List<JsonNode> ignored = run(dir, lines, "--ignore-eos");
    int[] expected = {40, 33};
    for (int i = 0; i < 2; i++) {
      JsonNode o = ignored.get(i);
      assertEquals("length", o.get("finish_reason").asText(), o.toString());
      assertEquals(expected[i], o.get("completion_tokens").asInt(), o.toString());
      assertEquals(expected[i], o.get("output_ids").size(), o.toString());
    }
  }

  static List<JsonNode> run(Path dir, List<String> lines, String... extra) throws Exception {
    Path in = dir.resolve("in.jsonl"), out = dir.resolve("out.jsonl");
    Files.write(in, lines, StandardCharsets.UTF_8);
    List<String> args = new ArrayList<>(List.of("generate", "--device", "cpu", "--input", in.toString(), "--output",
        out.toString()));
    args.addAll(List.of(extra));
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      status = GptossCli.run(args.toArray(String[]::new));
    } finally {
      System.setErr(oldErr);
    }
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    List<JsonNode> records = new ArrayList<>();
    for (String l : Files.readAllLines(out)) records.add(JSON.readTree(l));
    return records;
  }
}
