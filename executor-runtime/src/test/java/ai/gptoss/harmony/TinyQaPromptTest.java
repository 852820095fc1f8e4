package ai.gptoss.harmony;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * tiny-qa.eval.json: 150 prompts rendered by harmony with random effort, date and developer instructions
 * (not recorded as fields, but visible in the prompt text), and the model's greedy completions.
 */
class TinyQaPromptTest {
  static final JsonNode CASES = Golden.json("tiny-qa.eval.json").get("results");
  static final HarmonyTokenizer TOK = HarmonyTokenizer.get();
  static final Pattern DATE = Pattern.compile("\nCurrent date: ([^\n]+)\n");
  static final Pattern EFFORT = Pattern.compile("\n\nReasoning: (low|medium|high)\n\n");
  static final Pattern DEV = Pattern.compile("<\\|start\\|>developer<\\|message\\|># Instructions\n\n(.*?)<\\|end\\|>", Pattern.DOTALL);

  @Test
  void renderingEachQuestionWithItsOptionsGivesHarmonysPromptIds() {
    assertEquals(150, CASES.size());
    HarmonyRenderer r = HarmonyRenderer.get();
    int defaults = 0;
    for (JsonNode c : CASES) {
      int[] want = Golden.ints(c.get("prompt_ids"));
      String text = TOK.decode(want);
      assertArrayEquals(want, TOK.encodeWithSpecialTokens(text), "decode/encode round trip, case " + c.get("id"));

      Matcher effort = EFFORT.matcher(text);
      assertTrue(effort.find(), "case " + c.get("id") + " has a Reasoning line");
      ChatOptions opts = ChatOptions.DEFAULTS.withReasoningEffort(ReasoningEffort.parse(effort.group(1), "prompt"));
      Matcher date = DATE.matcher(text);
      if (date.find()) opts = opts.withConversationStartDate(date.group(1));
      Matcher dev = DEV.matcher(text);
      if (dev.find()) opts = opts.withInstructions(dev.group(1));
      String question = c.get("question").asText();
      int[] got = r.renderChat(List.of(ChatMessage.user(question)), opts);
      assertArrayEquals(want, got, "prompt ids of case " + c.get("id") + " (" + question + ")");

      if (opts.equals(ChatOptions.DEFAULTS)) {
        assertArrayEquals(want, r.renderUserPrompt(question), "default rendering, case " + c.get("id"));
        defaults++;
      }
    }
    assertTrue(defaults > 0, "some eval prompts use harmony's default system message (medium effort, no date)");
  }

  @Test
  void parsingGreedyCompletionsRecoversTheAnswer() {
    HarmonyParser p = HarmonyParser.get();
    for (JsonNode c : CASES) {
      int[] ids = Golden.ints(c.get("greedy_ids"));
      ParseResult res = p.parse(ids);
      assertTrue(res.wellFormed(), "case " + c.get("id") + ": " + res.problems());
      assertEquals(c.get("answer").asText(), res.finalText(), "final of case " + c.get("id"));
      assertNotNull(res.analysisText(), "analysis of case " + c.get("id"));
      assertEquals(HarmonyTokens.RETURN, ids[ids.length - 1]);
    }
  }
}
