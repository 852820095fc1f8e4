package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gptoss generate} batch mode with harmony lines ({@code "prompt"}, {@code "messages"}) on the
 * embedded tiny-qa model: the answers come back parsed into {@code final} and {@code analysis}.
 * A sample spread over tiny-qa.questions.jsonl keeps CI fast; the full 1,000 run the same way.
 */
class HarmonyBatchGenerateTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void promptLinesFromTheQuestionsFileAreAnsweredCorrectly(@TempDir Path dir) throws Exception {
    List<JsonNode> questions = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        getClass().getResourceAsStream("/golden/tiny-qa.questions.jsonl"), StandardCharsets.UTF_8))) {
      for (String l; (l = r.readLine()) != null; ) if (!l.isBlank()) questions.add(JSON.readTree(l));
    }
    assertEquals(1000, questions.size());
    List<String> lines = new ArrayList<>();
    List<String> answers = new ArrayList<>();
    for (int i = 0; i < questions.size(); i += 25) {
      JsonNode q = questions.get(i);
      lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("id", q.get("id").asInt())
          .put("prompt", q.get("question").asText())));
      answers.add(q.get("answer").asText());
    }
    // A chat-form line with options, and two bad lines that must not disturb the others.
    lines.add("{\"id\": \"chat\", \"messages\": [{\"role\": \"user\", \"content\": \"What is 7 + 5?\"}],"
        + " \"reasoning_effort\": \"low\", \"date\": \"2025-06-28\"}");
    lines.add("{\"id\": \"empty\", \"prompt\": \"  \"}");
    lines.add("{\"id\": \"badrole\", \"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}");
    List<JsonNode> out = GenerateRuns.records(dir, lines);
    assertEquals(lines.size(), out.size());
    int correct = 0;
    for (int i = 0; i < answers.size(); i++) {
      JsonNode o = out.get(i);
      assertNull(o.get("error").textValue(), o.toString());
      assertEquals("stop", o.get("finish_reason").asText(), o.toString());
      assertTrue(o.get("text").asText().endsWith("<|return|>"), o.toString());
      assertNotNull(o.get("analysis").textValue(), o.toString());
      if (answers.get(i).equals(o.get("final").asText())) correct++;
    }
    assertTrue(correct >= Math.ceil(0.95 * answers.size()), correct + " of " + answers.size() + " correct");
    JsonNode chat = out.get(answers.size());
    assertEquals("chat", chat.get("id").asText());
    assertEquals("12", chat.get("final").asText(), chat.toString());
    JsonNode empty = out.get(answers.size() + 1);
    assertEquals("error", empty.get("finish_reason").asText());
    assertTrue(empty.get("error").asText().contains("'prompt' is empty"), empty.toString());
    JsonNode badRole = out.get(answers.size() + 2);
    assertEquals("error", badRole.get("finish_reason").asText());
    assertTrue(badRole.get("error").asText().contains("robot"), badRole.toString());
  }
}
