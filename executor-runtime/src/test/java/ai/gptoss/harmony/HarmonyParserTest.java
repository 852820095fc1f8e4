package ai.gptoss.harmony;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Well-formed and malformed completions: the parser keeps the text that is there and says what was wrong. */
class HarmonyParserTest {
  static final HarmonyTokenizer TOK = HarmonyTokenizer.get();
  static final HarmonyParser P = HarmonyParser.get();

  /** Completion ids from harmony text (special-token spellings become special ids). */
  static int[] ids(String text) {
    return TOK.encodeWithSpecialTokens(text);
  }

  static Set<ParseIssue> kinds(ParseResult r) {
    Set<ParseIssue> out = new java.util.HashSet<>();
    for (ParseResult.Problem p : r.problems()) out.add(p.kind());
    return out;
  }

  @Test
  void wellFormedAnswer() {
    ParseResult r = P.parse(ids("<|channel|>analysis<|message|>7 + 5 = 12.<|end|><|start|>assistant<|channel|>final<|message|>12<|return|>"));
    assertTrue(r.wellFormed(), r.problems().toString());
    assertEquals(2, r.messages().size());
    assertEquals("12", r.finalText());
    assertEquals("7 + 5 = 12.", r.analysisText());
    assertEquals(Role.ASSISTANT, r.messages().get(1).role());
    assertTrue(r.messages().get(1).issues().isEmpty());
  }

  @Test
  void truncatedInsideAnalysis() {
    ParseResult r = P.parse(ids("<|channel|>analysis<|message|>Let me think about th"));
    assertEquals(Set.of(ParseIssue.TRUNCATED), kinds(r));
    assertEquals(1, r.messages().size());
    assertEquals("Let me think about th", r.analysisText());
    assertNull(r.finalText());
    assertEquals(Set.of(ParseIssue.TRUNCATED), r.messages().get(0).issues());
  }

  @Test
  void truncatedInsideFinalKeepsThePartialAnswer() {
    ParseResult r = P.parse(ids("<|channel|>analysis<|message|>ok<|end|><|start|>assistant<|channel|>final<|message|>Copen"));
    assertEquals("Copen", r.finalText());
    assertEquals(Set.of(ParseIssue.TRUNCATED), r.messages().get(1).issues());
    assertTrue(r.messages().get(0).issues().isEmpty());
  }

  @Test
  void truncatedInsideHeaderOrBeforeAnything() {
    ParseResult r = P.parse(ids("<|channel|>analysis<|message|>ok<|end|><|start|>assistant<|channel|>fin"));
    assertTrue(kinds(r).contains(ParseIssue.TRUNCATED));
    assertEquals(2, r.messages().size());
    assertEquals("fin", r.messages().get(1).channel());
    assertEquals("", r.messages().get(1).content());

    ParseResult empty = P.parse(new int[0]);
    assertEquals(0, empty.messages().size());
    assertEquals(Set.of(ParseIssue.TRUNCATED), kinds(empty));
  }

  @Test
  void truncatedMidCharacterGivesReplacementAndFlag() {
    int[] full = ids("<|channel|>final<|message|>👋🏽");
    int[] cut = java.util.Arrays.copyOf(full, full.length - 1);
    ParseResult r = P.parse(cut);
    assertEquals(Set.of(ParseIssue.TRUNCATED, ParseIssue.INVALID_UTF8), kinds(r));
    assertTrue(r.finalText().startsWith("👋"), r.finalText());
    assertTrue(r.finalText().endsWith("\ufffd"), r.finalText());
  }

  @Test
  void missingMessageTokenKeepsTheText() {
    ParseResult r = P.parse(ids("<|channel|>final Paris<|return|>"));
    assertEquals(Set.of(ParseIssue.MISSING_MESSAGE_TOKEN), kinds(r));
    assertEquals("Paris", r.finalText());

    ParseResult r2 = P.parse(ids("<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final Oslo<|start|>assistant<|channel|>final<|message|>Oslo<|return|>"));
    assertTrue(kinds(r2).contains(ParseIssue.MISSING_MESSAGE_TOKEN));
    assertEquals(3, r2.messages().size());
    assertEquals("Oslo", r2.messages().get(1).content());
    assertEquals("Oslo", r2.finalText());
  }

  @Test
  void unknownChannelIsKeptAndFlagged() {
    ParseResult r = P.parse(ids("<|channel|>thoughts<|message|>hmm<|end|><|start|>assistant<|channel|>final<|message|>4<|return|>"));
    assertEquals(Set.of(ParseIssue.UNKNOWN_CHANNEL), kinds(r));
    assertEquals("thoughts", r.messages().get(0).channel());
    assertEquals(Set.of(ParseIssue.UNKNOWN_CHANNEL), r.messages().get(0).issues());
    assertEquals("4", r.finalText());
  }

  @Test
  void straySpecialTokensAreSkipped() {
    ParseResult r = P.parse(ids("<|channel|>final<|message|>Ro<|message|>me<|reserved_200020|><|constrain|><|return|>"));
    assertEquals(Set.of(ParseIssue.STRAY_SPECIAL_TOKEN), kinds(r));
    assertEquals(3, r.problems().size());
    assertEquals("Rome", r.finalText());

    ParseResult outside = P.parse(ids("<|channel|>final<|message|>4<|return|><|endoftext|>"));
    assertEquals(Set.of(ParseIssue.STRAY_SPECIAL_TOKEN), kinds(outside));
    assertEquals("4", outside.finalText());
    assertTrue(outside.messages().get(0).issues().isEmpty(), "the problem belongs to no message");
  }

  @Test
  void channelInsideContentStartsANewMessage() {
    ParseResult r = P.parse(ids("<|channel|>analysis<|message|>sum<|channel|>final<|message|>9<|return|>"));
    assertEquals(Set.of(ParseIssue.MISSING_END), kinds(r));
    assertEquals(2, r.messages().size());
    assertEquals("sum", r.analysisText());
    assertEquals("9", r.finalText());
  }

  @Test
  void startInsideContentEndsTheMessage() {
    ParseResult r = P.parse(ids("<|channel|>analysis<|message|>sum<|start|>assistant<|channel|>final<|message|>9<|return|>"));
    assertEquals(Set.of(ParseIssue.MISSING_END), kinds(r));
    assertEquals("9", r.finalText());
    assertEquals(Set.of(ParseIssue.MISSING_END), r.messages().get(0).issues());
  }

  @Test
  void channelWithoutStartAfterEnd() {
    ParseResult r = P.parse(ids("<|channel|>analysis<|message|>a<|end|><|channel|>final<|message|>b<|return|>"));
    assertEquals(Set.of(ParseIssue.MISSING_START), kinds(r));
    assertEquals("b", r.finalText());
  }

  @Test
  void textOutsideMessagesIsKept() {
    ParseResult r = P.parse(ids("<|channel|>final<|message|>4<|return|>and more"));
    assertEquals(Set.of(ParseIssue.TEXT_OUTSIDE_MESSAGE), kinds(r));
    assertEquals(2, r.messages().size());
    assertEquals("and more", r.messages().get(1).content());
    assertNull(r.messages().get(1).channel());
    assertEquals("4", r.finalText());

    ParseResult ws = P.parse(ids("<|channel|>final<|message|>4<|end|>\n<|start|>assistant<|channel|>final<|message|>5<|return|>"));
    assertEquals(Set.of(ParseIssue.TEXT_OUTSIDE_MESSAGE), kinds(ws));
    assertEquals(2, ws.messages().size(), "whitespace between messages is dropped");
  }

  @Test
  void malformedHeaders() {
    ParseResult emptyChannel = P.parse(ids("<|channel|><|message|>x<|return|>"));
    assertEquals(Set.of(ParseIssue.MALFORMED_HEADER), kinds(emptyChannel));
    assertEquals("x", emptyChannel.messages().get(0).content());
    assertNull(emptyChannel.messages().get(0).channel());

    ParseResult unknownRole = P.parse(ids("<|channel|>final<|message|>a<|end|><|start|>robot<|message|>b<|end|>"));
    assertEquals(Set.of(ParseIssue.MALFORMED_HEADER), kinds(unknownRole));
    assertEquals(Role.TOOL, unknownRole.messages().get(1).role());
    assertEquals("robot", unknownRole.messages().get(1).name());
    assertEquals("b", unknownRole.messages().get(1).content());

    ParseResult extraWords = P.parse(ids("<|channel|>final one two three<|message|>c<|return|>"));
    assertEquals(Set.of(ParseIssue.MALFORMED_HEADER), kinds(extraWords));
    assertEquals("c", extraWords.finalText());
  }

  @Test
  void invalidIdsAreSkipped() {
    List<Integer> l = new ArrayList<>();
    for (int id : ids("<|channel|>final<|message|>Li")) l.add(id);
    l.add(-5);
    l.add(HarmonyTokens.VOCAB_SIZE + 7);
    for (int id : ids("ma<|return|>")) l.add(id);
    ParseResult r = P.parse(l.stream().mapToInt(Integer::intValue).toArray());
    assertEquals(Set.of(ParseIssue.INVALID_TOKEN_ID), kinds(r));
    assertEquals("Lima", r.finalText());
  }

  @Test
  void toolCallWithConstrainAndRecipient() {
    ParseResult r = P.parse(ids("<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Oslo\"}<|call|>"));
    assertTrue(r.wellFormed(), r.problems().toString());
    ParsedMessage m = r.messages().get(0);
    assertEquals("functions.get_weather", m.recipient());
    assertEquals("<|constrain|>json", m.contentType());
    assertEquals("commentary", m.channel());
    // Rendered back (recipient before channel, as harmony renders), it ends with <|call|>.
    int[] back = HarmonyRenderer.get().renderMessage(m.toMessage());
    assertEquals(HarmonyTokens.CALL, back[back.length - 1]);
    assertEquals("<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\":\"Oslo\"}<|call|>",
        TOK.decode(back));
  }

  @Test
  void parsingAWholeConversationFromStart() {
    int[] conv = HarmonyRenderer.get().renderConversation(List.of(
        Message.text(Role.USER, "hi"),
        Message.text(Role.ASSISTANT, "hello").withChannel("final")), true);
    ParseResult r = P.parse(conv, null);
    assertTrue(r.wellFormed(), r.problems().toString());
    assertEquals(Role.USER, r.messages().get(0).role());
    assertEquals("hello", r.finalText());
  }

  @Provide
  Arbitrary<int[]> anyIds() {
    Arbitrary<Integer> special = Arbitraries.of(HarmonyTokens.START, HarmonyTokens.END, HarmonyTokens.MESSAGE, HarmonyTokens.CHANNEL,
        HarmonyTokens.RETURN, HarmonyTokens.CALL, HarmonyTokens.CONSTRAIN, HarmonyTokens.ENDOFTEXT, 200020);
    Arbitrary<Integer> ordinary = Arbitraries.integers().between(0, HarmonyTokens.FIRST_SPECIAL - 1);
    Arbitrary<Integer> common = Arbitraries.of(173781, 17196, 35644, 12606, 815, 316, 28, 220, 13, 72782, 233);
    Arbitrary<Integer> wild = Arbitraries.integers().between(-3, HarmonyTokens.VOCAB_SIZE + 3);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, special), net.jqwik.api.Tuple.of(3, ordinary), net.jqwik.api.Tuple.of(4, common),
            net.jqwik.api.Tuple.of(1, wild))
        .list().ofMaxSize(60).map(l -> l.stream().mapToInt(Integer::intValue).toArray());
  }

  @Property(tries = 1000)
  void neverThrowsOnAnyIdSequence(@ForAll("anyIds") int[] ids) {
    ParseResult r = P.parse(ids);
    assertNotNull(r);
    for (ParsedMessage m : r.messages()) {
      assertNotNull(m.content());
      assertNotNull(m.role());
      for (ParseIssue i : m.issues()) assertTrue(kinds(r).contains(i), "message issue " + i + " is also in problems");
    }
    P.parse(ids, null);
  }
}
