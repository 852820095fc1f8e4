package ai.gptoss.harmony;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every case of shared/golden/harmony.golden.json (openai-harmony built to WebAssembly) must match exactly. */
class HarmonyGoldenTest {
  static final JsonNode GOLDEN = Golden.json("harmony.golden.json");
  static final HarmonyTokenizer TOK = HarmonyTokenizer.get();

  static JsonNode section(String name) {
    JsonNode n = GOLDEN.get(name);
    if (n == null) throw new AssertionError("harmony.golden.json has no '" + name + "' section");
    return n;
  }

  static List<Integer> list(int[] a) {
    List<Integer> out = new ArrayList<>();
    for (int x : a) out.add(x);
    return out;
  }

  @Test
  void encodeCases() {
    JsonNode cases = section("encode");
    assertEquals(16, cases.size(), "encode cases in the fixture");
    int withSpecials = 0;
    for (JsonNode c : cases) {
      String text = c.get("text").asText();
      int[] want = Golden.ints(c.get("ids"));
      int[] got;
      JsonNode allowed = c.get("allowed_special");
      if (allowed == null) {
        got = TOK.encode(text);
      } else {
        assertEquals("all", allowed.asText(), "only allowed_special=all is a case here");
        got = TOK.encodeWithSpecialTokens(text);
        withSpecials++;
      }
      assertEquals(list(want), list(got), "encode " + c);
      assertEquals(text, TOK.decode(want), "decode of the golden ids of " + c);
    }
    assertTrue(withSpecials > 0, "the fixture exercises allowed_special");
  }

  @Test
  void renderCases() {
    JsonNode cases = section("render");
    assertEquals(4, cases.size(), "render cases in the fixture");
    HarmonyRenderer r = HarmonyRenderer.get();
    for (int i = 0; i < cases.size(); i++) {
      JsonNode c = cases.get(i);
      List<Message> conv = HarmonyJson.readConversation(c.get("conversation"));
      Role next = Role.fromWire(c.get("next_turn_role").asText());
      int[] ids = r.renderForCompletion(conv, next);
      assertEquals(c.get("text").asText(), TOK.decode(ids), "render text of case " + i);
      assertEquals(list(Golden.ints(c.get("ids"))), list(ids), "render ids of case " + i);
    }
  }

  @Test
  void parseCases() {
    JsonNode cases = section("parse");
    assertEquals(3, cases.size(), "parse cases in the fixture");
    HarmonyParser p = HarmonyParser.get();
    for (int i = 0; i < cases.size(); i++) {
      JsonNode c = cases.get(i);
      int[] ids = Golden.ints(c.get("completion_ids"));
      assertEquals(c.get("completion_text").asText(), TOK.decode(ids), "completion text of parse case " + i);
      assertArrayEquals(ids, TOK.encodeWithSpecialTokens(c.get("completion_text").asText()), "re-encoded completion " + i);
      ParseResult res = p.parse(ids);
      assertTrue(res.wellFormed(), "parse case " + i + " is well-formed, got " + res.problems());
      ArrayNode got = (ArrayNode) HarmonyJson.write(res).get("messages");
      assertEquals(c.get("messages"), got, "messages of parse case " + i);
      assertEquals(c.get("messages").toString(), got.toString(), "same key order as harmony's serde output, case " + i);
    }
  }

  @Test
  void stopTokens() {
    Set<Integer> want = new TreeSet<>(list(Golden.ints(section("stop_tokens"))));
    assertEquals(want, new TreeSet<>(HarmonyTokens.STOP_TOKENS));
    Set<Integer> wantActions = new TreeSet<>(list(Golden.ints(section("stop_tokens_for_assistant_actions"))));
    assertEquals(wantActions, new TreeSet<>(HarmonyTokens.STOP_TOKENS_FOR_ASSISTANT_ACTIONS));
  }
}
