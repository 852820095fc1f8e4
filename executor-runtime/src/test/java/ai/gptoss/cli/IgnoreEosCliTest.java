package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate --ignore-eos}: stop tokens no longer end a request; each generates its max_new_tokens. */
class IgnoreEosCliTest {
  @Test
  void everyRequestGeneratesItsMaxNewTokens(@TempDir Path dir) throws Exception {
    List<String> lines = List.of("{\"id\": 1, \"prompt\": \"What is 3 + 4?\", \"max_new_tokens\": 40}",
        "{\"id\": 2, \"prompt\": \"What is 2 + 2?\", \"max_new_tokens\": 33}");
    for (JsonNode o : GenerateRuns.records(dir, lines)) assertEquals("stop", o.get("finish_reason").asText(), o.toString());
    List<JsonNode> ignored = GenerateRuns.records(dir, lines, "--ignore-eos");
    int[] expected = {40, 33};
    for (int i = 0; i < 2; i++) {
      JsonNode o = ignored.get(i);
      assertEquals("length", o.get("finish_reason").asText(), o.toString());
      assertEquals(expected[i], o.get("completion_tokens").asInt(), o.toString());
      assertEquals(expected[i], o.get("output_ids").size(), o.toString());
    }
  }
}
