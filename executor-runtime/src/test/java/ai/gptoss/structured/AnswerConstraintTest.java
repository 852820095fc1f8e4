package ai.gptoss.structured;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.harmony.Harmony;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.harmony.HarmonyTokens;
import org.junit.jupiter.api.Test;

/** The per-request harmony state machine around the schema's automaton. */
class AnswerConstraintTest {
  static final ResponseFormat F = ResponseFormat.parse("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"boolean\"}},\"required\":[\"a\"]}");
  static final int V = HarmonyTokens.VOCAB_SIZE;

  static void feed(AnswerConstraint c, String text) {
    for (int t : HarmonyTokenizer.get().encodeWithSpecialTokens(text)) {
      assertTrue(c.mask() == null || c.mask().allows(t), "token " + t + " of " + text);
      c.accept(t);
    }
  }

  @Test
  void reasoningIsFreeButCannotStopThenTheFinalMessageIsJson() {
    AnswerConstraint c = AnswerConstraint.start(F, Harmony.prompt("hi"), V);
    assertFalse(c.inAnswer());
    assertFalse(c.mask().allows(HarmonyTokens.RETURN));
    assertFalse(c.mask().allows(HarmonyTokens.CALL));
    assertTrue(c.mask().allows(HarmonyTokens.END));
    feed(c, "<|channel|>analysis<|message|>Think {not json}.<|end|><|start|>assistant<|channel|>commentary<|message|>x<|end|>");
    assertFalse(c.inAnswer(), "analysis and commentary are not the answer");
    feed(c, "<|start|>assistant<|channel|>final<|message|>");
    assertTrue(c.inAnswer());
    assertFalse(c.mask().allows(HarmonyTokens.END));
    feed(c, "{\"a\":true}");
    assertTrue(c.answerComplete());
    assertTrue(c.mask().allows(HarmonyTokens.RETURN));
    assertTrue(c.mask().allowedCount() == 1);
    c.accept(HarmonyTokens.RETURN);
    assertNull(c.mask());
    assertNull(c.violation());
  }

  @Test
  void aPromptEndingAtTheFinalMessageStartsInTheAnswer() {
    int[] p = HarmonyTokenizer.get().encodeWithSpecialTokens("<|start|>user<|message|>q<|end|><|start|>assistant<|channel|>final<|message|>");
    AnswerConstraint c = AnswerConstraint.start(F, p, V);
    assertTrue(c.inAnswer());
    assertTrue(c.mask().allows(HarmonyTokenizer.get().encode("{\"")[0]));
    assertFalse(c.mask().allows(HarmonyTokenizer.get().encode("Hello")[0]));
  }

  @Test
  void onlyHarmonyVocabularyModelsTakeASchema() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> AnswerConstraint.start(F, new int[] {1, 2}, 1024));
    assertTrue(e.getMessage().contains("o200k_harmony vocabulary"), e.getMessage());
  }

  @Test
  void aTokenOutsideTheMaskIsAViolation() {
    AnswerConstraint c = AnswerConstraint.start(F, HarmonyTokenizer.get().encodeWithSpecialTokens("<|start|>assistant<|channel|>final<|message|>"), V);
    c.accept(HarmonyTokenizer.get().encode("Hello")[0]);
    assertNotNull(c.violation());
    assertNull(c.mask(), "nothing more is constrained once broken");
    AnswerConstraint early = AnswerConstraint.start(F, Harmony.prompt("hi"), V);
    early.accept(HarmonyTokens.RETURN);
    assertNotNull(early.violation());
  }
}
