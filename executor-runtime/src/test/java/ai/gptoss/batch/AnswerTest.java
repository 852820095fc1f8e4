package ai.gptoss.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.harmony.Harmony;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.model.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Answer extraction, result records and the stop-token set shared by every entry point. */
class AnswerTest {
  static GenerationResult result(int[] out, FinishReason reason, String error) {
    return new GenerationResult("7", out, reason, 3, out.length, 0, error, 0, 0, 0);
  }

  @Test
  void harmonyOutputIsSplitAndErrorsNameTheRow() {
    int[] out = HarmonyTokenizer.get().encodeWithSpecialTokens("<|channel|>analysis<|message|>easy<|end|><|start|>assistant"
        + "<|channel|>final<|message|>12<|return|>");
    GenerationRequest req = GenerationRequest.greedy("7", new int[] {1, 2, 3}, 100, List.of(200002));
    Answer a = Answer.of("line 1 (id 7)", req, result(out, FinishReason.STOP, null), true);
    assertEquals("12", a.finalText());
    assertEquals("easy", a.analysis());
    assertEquals(Harmony.completion(out).text(), a.text());
    assertNull(a.error());
    Answer cut = Answer.of("line 2", req, result(new int[] {5, 6}, FinishReason.LENGTH, null), true);
    assertTrue(cut.truncated());
    assertEquals("line 2: " + MaxNewTokens.truncation(100, 2), cut.error());
    Answer bad = Answer.of("line 3", req, result(new int[0], FinishReason.ERROR, "request 7: input_ids[0] = -1 is outside"), true);
    assertEquals("line 3: input_ids[0] = -1 is outside", bad.error());
    assertNull(bad.text(), "nothing generated: no text");
    GenerationRequest ignoreEos = GenerationRequest.greedy("7", new int[] {1}, 2, List.of());
    assertNull(Answer.of("line 4", ignoreEos, result(new int[] {5, 6}, FinishReason.LENGTH, null), true).error());
  }

  @Test
  void recordFieldsInTheirOrder() {
    Answer a = Answer.failed("line 2: blank line", 0);
    assertEquals("{\"id\":null,\"output_ids\":[],\"finish_reason\":\"error\",\"prompt_tokens\":0,\"completion_tokens\":0,"
        + "\"cached_tokens\":0,\"error\":\"line 2: blank line\"}", ResultRecord.line(null, a, false));
    assertEquals("{\"id\":null,\"output_ids\":[],\"finish_reason\":\"error\",\"prompt_tokens\":0,\"completion_tokens\":0,"
        + "\"cached_tokens\":0,\"error\":\"line 2: blank line\",\"final\":null,\"analysis\":null,\"text\":null}",
        ResultRecord.line(null, a, true));
  }

  @Test
  void stopTokensAreReturnCallAndEosNotEnd() {
    ModelConfig harmony = ModelConfig.read(ai.gptoss.model.EmbeddedModel.path().resolve("config.json")); // tiny-qa: eos 200002
    assertEquals(List.of(200002, 200012), StopTokens.of(harmony));
    ModelConfig small = ModelConfig.read(ai.gptoss.Golden.dir("tiny-a").resolve("config.json"));
    assertEquals(List.of(1022), StopTokens.of(small), "harmony's ids mean nothing to a small test vocabulary");
  }
}
