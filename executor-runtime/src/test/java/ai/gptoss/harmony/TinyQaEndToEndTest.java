package ai.gptoss.harmony;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Backends;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.EmbeddedModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The embedded tiny-qa model, trained on harmony-rendered conversations, answers questions rendered the
 * project's default way ({@link Harmony#prompt(String)}), and {@link Harmony#completion} finds the answer.
 * Wrong rendering, tokenizing or parsing shows up here as wrong answers.
 */
class TinyQaEndToEndTest {
  @Test
  void defaultPromptGetsTheReferenceAnswer() throws Exception {
    List<JsonNode> questions = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    var in = getClass().getResourceAsStream("/golden/tiny-qa.questions.jsonl");
    if (in == null) throw new AssertionError("golden fixture /golden/tiny-qa.questions.jsonl is missing from test resources");
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) questions.add(json.readTree(line));
    }
    assertEquals(1000, questions.size());
    int asked = 0;
    int right = 0;
    List<String> misses = new ArrayList<>();
    try (Backend b = Backends.open(EmbeddedModel.path(), "cpu", Precision.EXACT, KvCacheDtype.AUTO)) {
      for (int i = 0; i < questions.size(); i += 40) { // 25 questions spread over the file
        JsonNode q = questions.get(i);
        int[] prompt = Harmony.prompt(q.get("question").asText());
        List<Integer> out = new SingleSequence(b, prompt.length + 48)
            .generate(prompt, 48, SamplingParams.greedy(), HarmonyTokens.STOP_TOKENS_FOR_ASSISTANT_ACTIONS);
        Harmony.Completion c = Harmony.completion(out.stream().mapToInt(Integer::intValue).toArray());
        asked++;
        if (q.get("answer").asText().equals(c.finalText())) {
          right++;
          assertTrue(c.parse().wellFormed(), q + ": " + c.parse().problems());
          assertTrue(c.text().endsWith("<|return|>"), c.text());
        } else {
          misses.add(q + " -> " + c.text());
        }
      }
    }
    assertEquals(25, asked);
    assertTrue(right >= 24, right + "/" + asked + " right; misses: " + misses);
  }
}
