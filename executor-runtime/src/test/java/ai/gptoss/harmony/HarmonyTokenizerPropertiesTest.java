package ai.gptoss.harmony;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Round trips over random Unicode, special-token handling, partial UTF-8, and encode cost growth. */
class HarmonyTokenizerPropertiesTest {
  static final HarmonyTokenizer TOK = HarmonyTokenizer.get();

  @Provide
  Arbitrary<String> unicodeText() {
    Arbitrary<String> cjk = Arbitraries.strings().withCharRange('\u4e00', '\u9fff').withCharRange('\u3040', '\u30ff')
        .ofMinLength(1).ofMaxLength(12);
    Arbitrary<String> emoji = Arbitraries.oneOf(
        Arbitraries.integers().between(0x1F300, 0x1FAFF).map(Character::toString),
        Arbitraries.of("👋🏽", "👨‍👩‍👧‍👦", "🇯🇵", "❤️", "🏳️‍🌈", "🤖🚀"));
    Arbitrary<String> combining = Arbitraries.strings().withCharRange('a', 'z').ofLength(1)
        .flatMap(base -> Arbitraries.strings().withCharRange('\u0300', '\u036f').ofMinLength(1).ofMaxLength(4)
            .map(marks -> base + marks));
    Arbitrary<String> whitespace = Arbitraries.strings().withChars(' ', '\t', '\n', '\r', '\u00a0', '\u3000', '\u2028', '\u000b')
        .ofMinLength(1).ofMaxLength(40);
    Arbitrary<String> ascii = Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(20);
    Arbitrary<String> anyCodePoint = Arbitraries.integers().between(0, 0x10FFFF)
        .filter(cp -> cp < 0xD800 || cp > 0xDFFF).map(Character::toString);
    Arbitrary<String> specialLike = Arbitraries.of("<|start|>", "<|end|>", "<|message|>", "<|reserved_200020|>", "<|", "|>",
        "<|<|end|>", "<|reserved_1|>", "<|endoftext|>");
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, cjk), net.jqwik.api.Tuple.of(3, emoji), net.jqwik.api.Tuple.of(3, combining),
            net.jqwik.api.Tuple.of(3, whitespace), net.jqwik.api.Tuple.of(4, ascii), net.jqwik.api.Tuple.of(2, anyCodePoint),
            net.jqwik.api.Tuple.of(1, specialLike))
        .list().ofMaxSize(30).map(parts -> String.join("", parts));
  }

  @Property(tries = 300)
  void decodeOfEncodeIsIdentity(@ForAll("unicodeText") String s) {
    assertEquals(s, TOK.decode(TOK.encode(s)));
  }

  @Property(tries = 300)
  void decodeOfEncodeWithSpecialTokensIsIdentity(@ForAll("unicodeText") String s) {
    int[] ids = TOK.encodeWithSpecialTokens(s);
    assertEquals(s, TOK.decode(ids));
    for (int id : ids) assertTrue(HarmonyTokens.isValid(id));
  }

  @Property(tries = 200)
  void ordinaryEncodingNeverYieldsSpecialIds(@ForAll("unicodeText") String s) {
    for (int id : TOK.encode(s)) assertTrue(id < HarmonyTokens.FIRST_SPECIAL, "id " + id + " for " + s);
  }

  @Test
  void specialTokenTextIsTextUnlessAllowed() {
    String s = "<|start|>user<|message|>hi<|end|>";
    int[] plain = TOK.encode(s);
    for (int id : plain) assertTrue(id < HarmonyTokens.FIRST_SPECIAL);
    assertArrayEquals(new int[] {HarmonyTokens.START, TOK.encode("user")[0], HarmonyTokens.MESSAGE, TOK.encode("hi")[0],
        HarmonyTokens.END}, TOK.encodeWithSpecialTokens(s));
    assertArrayEquals(new int[] {200020}, TOK.encodeWithSpecialTokens("<|reserved_200020|>"));
    assertArrayEquals(new int[] {HarmonyTokens.ENDOFPROMPT}, TOK.encodeWithSpecialTokens("<|endofprompt|>"));
    // Named ids have no reserved spelling, and ids outside the special range are not specials.
    assertArrayEquals(TOK.encode("<|reserved_200002|>"), TOK.encodeWithSpecialTokens("<|reserved_200002|>"));
    assertArrayEquals(TOK.encode("<|reserved_201088|>"), TOK.encodeWithSpecialTokens("<|reserved_201088|>"));
    assertArrayEquals(TOK.encode("<|reserved_0200020|>"), TOK.encodeWithSpecialTokens("<|reserved_0200020|>"));
  }

  @Test
  void everySpecialIdHasANameThatEncodesBackToIt() {
    for (int id = HarmonyTokens.FIRST_SPECIAL; id < HarmonyTokens.VOCAB_SIZE; id++) {
      String name = HarmonyTokens.name(id);
      assertEquals(id, HarmonyTokens.idOf(name), name);
      assertArrayEquals(new int[] {id}, TOK.encodeWithSpecialTokens(name), name);
    }
    assertEquals("<|reserved_200000|>", HarmonyTokens.name(200000));
    assertEquals("<|reserved_201087|>", HarmonyTokens.name(201087));
    assertThrows(IllegalArgumentException.class, () -> HarmonyTokens.name(HarmonyTokens.VOCAB_SIZE));
  }

  @Test
  void decodingJoinsBytesSplitAcrossTokens() {
    // The golden "👋🏽 emoji" case: 👋 and 🏽 are each split over two tokens that are not UTF-8 on their own.
    int[] ids = {28823, 233, 52622, 121};
    assertEquals("👋🏽", TOK.decode(ids));
    byte[] first = TOK.tokenBytes(28823);
    assertTrue(new String(first, StandardCharsets.UTF_8).contains("\ufffd"), "first token alone is a partial character");
    assertEquals("\ufffd", TOK.decode(new int[] {233}).substring(0, 1));
  }

  @Test
  void decodeRejectsIdsOutsideTheVocabularyByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TOK.decode(new int[] {1, 201088}));
    assertTrue(e.getMessage().contains("201088"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TOK.decode(new int[] {-1}));
  }

  @Test
  void sharedInstanceGivesTheSameIdsFromManyThreads() throws Exception {
    String doc = document(1 << 15);
    int[] want = TOK.encode(doc);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 32; i++) {
        int from = Character.isLowSurrogate(doc.charAt(i * 512)) ? i * 512 + 1 : i * 512;
        results.add(pool.submit(() -> java.util.Arrays.equals(want, TOK.encode(doc))
            && TOK.decode(TOK.encode(doc.substring(from))).equals(doc.substring(from))));
      }
      for (var f : results) assertTrue(f.get());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Encode cost grows linearly: 8x the text should cost about 8x (quadratic would be 64x). Best of several
   * runs after warm-up, and a bound of 24x, so machine noise cannot fail it but a quadratic step would.
   */
  @Test
  void encodingA1MbDocumentIsLinearInItsLength() {
    String big = document(1 << 20);
    String small = big.substring(0, 1 << 17);
    long tSmall = bestOf(5, small);
    long tBig = bestOf(3, big);
    double ratio = (double) tBig / tSmall;
    assertTrue(ratio < 24, "1 MiB took " + tBig / 1e6 + " ms, 128 KiB " + tSmall / 1e6 + " ms: ratio " + ratio);
    assertEquals(big, TOK.decode(TOK.encode(big)));
  }

  private static long bestOf(int runs, String s) {
    TOK.encode(s); // warm-up
    long best = Long.MAX_VALUE;
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      TOK.encode(s);
      best = Math.min(best, System.nanoTime() - t0);
    }
    return best;
  }

  /** A varied document: prose, numbers, code, CJK, emoji, whitespace runs, in seeded random order. */
  static String document(int chars) {
    List<String> pieces = List.of(
        "The quick brown fox jumps over the lazy dog. ", "I'm sure they'll say it's fine; we've done it.\n",
        "Continuous batching keeps the GPU busy while sequences finish at different times. ",
        "numbers 1234567 3.14159 -42 1e-5 ", "def f(x):\n    return x**2  # square\n\n",
        "连续批处理比静态批处理快得多。", "MXFP4量化：每32个元素共享一个缩放因子 ", "こんにちは世界 ", "👋🏽 emoji 🤖🚀 mix ",
        "ÀÉÎÕÜ ñ ß Ω ∑ ∫ √ ", "    indented\n\tcode();\n\n\nend ", "a                 b ",
        "https://example.com/path?q=1&r=two#frag ", "\n\n", "SELECT gptoss(prompt) FROM t; ");
    Random rnd = new Random(42);
    StringBuilder sb = new StringBuilder(chars + 128);
    while (sb.length() < chars) sb.append(pieces.get(rnd.nextInt(pieces.size())));
    String s = sb.substring(0, chars);
    // Do not end inside a surrogate pair.
    return Character.isHighSurrogate(s.charAt(s.length() - 1)) ? s.substring(0, s.length() - 1) + " " : s;
  }
}
