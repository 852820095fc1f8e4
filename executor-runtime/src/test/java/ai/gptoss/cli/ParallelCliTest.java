package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --tensor-parallel-size} and {@code --expert-parallel} on the CPU: the twin answers as one rank does. */
class ParallelCliTest {
  static final List<String> LINES = List.of("{\"id\": 1, \"prompt\": \"What is 3 + 4?\", \"max_new_tokens\": 24}",
      "{\"id\": 2, \"prompt\": \"Name a color.\", \"max_new_tokens\": 24}");

  @Test
  void twoExpertParallelRanksGiveTheOneRankIds(@TempDir Path dir) throws Exception {
    List<JsonNode> one = GenerateRuns.records(dir, LINES);
    List<JsonNode> twin = GenerateRuns.records(dir, LINES, "--tensor-parallel-size", "2", "--expert-parallel");
    for (int i = 0; i < LINES.size(); i++) assertEquals(one.get(i).get("output_ids"), twin.get(i).get("output_ids"));
  }

  @Test
  void badSizesAreRefusedNamingTheFlagOrTheConfigKey(@TempDir Path dir) throws Exception {
    GenerateRuns.Run zero = GenerateRuns.run(dir, LINES, "--tensor-parallel-size", "0");
    assertTrue(zero.status() != 0, zero.err());
    assertTrue(zero.err().contains("--tensor-parallel-size=0"), zero.err());
    GenerateRuns.Run three = GenerateRuns.run(dir, LINES, "--tensor-parallel-size", "3");
    assertTrue(three.status() != 0, three.err());
    assertTrue(three.err().contains("num_attention_heads=4 is not divisible by 3"), three.err());
  }
}
