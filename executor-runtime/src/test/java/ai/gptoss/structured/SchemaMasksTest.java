package ai.gptoss.structured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.TokenMask;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.harmony.HarmonyTokens;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Token masks over the real o200k_harmony vocabulary. */
class SchemaMasksTest {
  static final int V = HarmonyTokens.VOCAB_SIZE;
  static final HarmonyTokenizer TOK = HarmonyTokenizer.get();

  static int stateAfter(SchemaMasks m, String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    int s = m.start();
    for (byte x : b) s = dfaNext(m, s, x);
    return s;
  }

  private static int dfaNext(SchemaMasks m, int s, byte x) {
    // one byte through the automaton: via a token when a single-byte token spells it (all 256 do)
    int id = TOK.encode(new String(new byte[] {x}, StandardCharsets.ISO_8859_1)).length == 1 && x >= 0
        ? TOK.encode(new String(new byte[] {x}, StandardCharsets.US_ASCII))[0] : -1;
    return id >= 0 ? m.advance(s, id) : ByteDfa.DEAD;
  }

  static int token(String text) {
    int[] ids = TOK.encode(text);
    assertEquals(1, ids.length, "\"" + text + "\" is one o200k token");
    return ids[0];
  }

  @Test
  void trieMaskEqualsTheBruteForceMaskInManyStates() {
    Random rnd = new Random(7);
    for (Schemas.Case c : Schemas.all()) {
      SchemaMasks m = new SchemaMasks(c.format(), JsonGrammar.compile(c.format()), VocabTrie.get(), TOK, V);
      List<Integer> states = walkStates(m, rnd, 3);
      for (int s : states) {
        TokenMask mask = m.mask(s);
        long[] brute = new long[TokenMask.words(V)];
        for (int t = 0; t < HarmonyTokens.FIRST_SPECIAL; t++) if (m.advance(s, t) != ByteDfa.DEAD) brute[t >>> 6] |= 1L << t;
        if (m.accepting(s)) brute[HarmonyTokens.RETURN >>> 6] |= 1L << HarmonyTokens.RETURN;
        assertArrayEquals(brute, mask.bits(), c.name() + " state " + s);
        assertTrue(mask.allowedCount() > 0);
      }
    }
  }

  /** Up to {@code n} states met at token boundaries of one random decode. */
  private static List<Integer> walkStates(SchemaMasks m, Random rnd, int n) {
    List<Integer> out = new ArrayList<>();
    int s = m.start();
    for (int i = 0; i < 40 && out.size() < n; i++) {
      if (i % 3 == 0) out.add(s);
      TokenMask mask = m.mask(s);
      int t = pick(mask, rnd);
      if (t == HarmonyTokens.RETURN) break;
      s = m.advance(s, t);
    }
    return out;
  }

  /** A random allowed token: half the time a single-byte one (walks then finish), else any. */
  static int pick(TokenMask mask, Random rnd) {
    int[] any = new int[mask.allowedCount()], one = new int[mask.allowedCount()];
    int na = 0, no = 0;
    long[] bits = mask.bits();
    for (int w = 0; w < bits.length; w++) {
      for (long x = bits[w]; x != 0; x &= x - 1) {
        int t = (w << 6) + Long.numberOfTrailingZeros(x);
        any[na++] = t;
        if (t == HarmonyTokens.RETURN || t < HarmonyTokens.FIRST_SPECIAL && SINGLE[t]) one[no++] = t;
      }
    }
    return no > 0 && rnd.nextBoolean() ? one[rnd.nextInt(no)] : any[rnd.nextInt(na)];
  }

  private static final boolean[] SINGLE = new boolean[HarmonyTokens.FIRST_SPECIAL];

  static {
    for (int t = 0; t < SINGLE.length; t++) SINGLE[t] = TOK.tokenBytes(t).length == 1;
  }

  @Test
  void randomTokenDecodesUnderTheMasksValidate() {
    Random rnd = new Random(11);
    for (Schemas.Case c : Schemas.all()) {
      SchemaMasks m = SchemaMasks.of(c.format(), V);
      int done = 0;
      for (int walk = 0; walk < 12; walk++) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        int s = m.start();
        for (int i = 0; i < 400; i++) {
          int t = pick(m.mask(s), rnd);
          if (t == HarmonyTokens.RETURN) {
            done++;
            assertNull(c.problem(text.toString(StandardCharsets.UTF_8)), c.name() + ": " + text);
            break;
          }
          text.writeBytes(TOK.tokenBytes(t));
          s = m.advance(s, t);
          assertTrue(s != ByteDfa.DEAD);
        }
      }
      assertTrue(done >= 6, c.name() + ": " + done + " of 12 decodes finished");
    }
  }

  @Test
  void multiByteTokensCrossJsonStructure() {
    SchemaMasks arr = SchemaMasks.of(Schemas.named("array_strings").format(), V);
    int inString = stateAfter(arr, "[\"ab");
    for (String t : new String[] {"\",\"", "\"]", "\",", "cd"}) assertTrue(arr.mask(inString).allows(token(t)), t);
    assertFalse(arr.mask(inString).allows(token("\"}")));
    int afterOpen = stateAfter(arr, "[");
    assertTrue(arr.mask(afterOpen).allows(token("[\"".substring(1))));
    assertFalse(arr.mask(afterOpen).allows(token("]")), "minItems 1");
    int four = stateAfter(arr, "[\"a\",\"b\",\"c\",\"d");
    assertTrue(arr.mask(four).allows(token("\"]")));
    assertFalse(arr.mask(four).allows(token("\",")), "maxItems 4");
    SchemaMasks obj = SchemaMasks.of(Schemas.named("answer_string").format(), V);
    assertTrue(obj.mask(obj.start()).allows(token("{\"")));
    int s = stateAfter(obj, "{\"answer\":\"Paris");
    assertTrue(obj.mask(s).allows(token("\"}")));
    int done = obj.advance(s, token("\"}"));
    assertTrue(obj.finished(done));
    TokenMask end = obj.mask(done);
    assertEquals(1, end.allowedCount());
    assertTrue(end.allows(HarmonyTokens.RETURN));
  }

  @Test
  void partialUtf8TokensAreAllowedOnlyWhereTheirBytesFit() {
    SchemaMasks arr = SchemaMasks.of(Schemas.named("array_strings").format(), V);
    int inString = stateAfter(arr, "[\"");
    TokenMask m = arr.mask(inString);
    int lead = -1, cont = -1;
    for (int t = 0; t < HarmonyTokens.FIRST_SPECIAL && (lead < 0 || cont < 0); t++) {
      byte[] b = TOK.tokenBytes(t);
      if (b.length == 1 && (b[0] & 0xff) == 0xE2) lead = t;
      if (b.length == 1 && (b[0] & 0xff) == 0x82) cont = t;
    }
    assertTrue(lead >= 0 && cont >= 0);
    assertTrue(m.allows(lead), "a lone UTF-8 lead byte starts a character");
    assertFalse(m.allows(cont), "a continuation byte cannot start one");
    int afterLead = arr.advance(inString, lead);
    assertTrue(arr.mask(afterLead).allows(cont));
    assertFalse(arr.mask(afterLead).allows(token("\"")), "the character must be finished first");
    for (int t = HarmonyTokens.FIRST_SPECIAL; t < V; t++) assertFalse(m.allows(t), "special token " + t);
  }

  @Test
  void aNewSchemaIsPrecompiledSoThatADecodeFindsItsMasksCached() {
    SchemaMasks m = SchemaMasks.of(ResponseFormat.parse("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"), V);
    long computed = m.stats().computed();
    assertTrue(computed > 5, computed + " masks computed ahead");
    Random rnd = new Random(5);
    int s = m.start();
    for (int i = 0; i < 300; i++) {
      int t = pick(m.mask(s), rnd);
      if (t == HarmonyTokens.RETURN) s = m.start();
      else s = m.advance(s, t);
    }
    assertEquals(computed, m.stats().computed(), "every state met was computed ahead");
  }

  @Test
  void masksAreCachedPerSchemaAndState() {
    SchemaMasks a = SchemaMasks.of(ResponseFormat.parse("{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}}"), V);
    SchemaMasks b = SchemaMasks.of(ResponseFormat.parse("{ \"items\": {\"type\": \"boolean\"}, \"type\": \"array\" }"), V);
    assertSame(a, b, "one compiled grammar per distinct schema");
    long computed = a.stats().computed();
    TokenMask first = a.mask(a.start());
    assertSame(first, b.mask(b.start()));
    assertEquals(computed + (computed == 0 ? 1 : 0), a.stats().computed());
  }
}
