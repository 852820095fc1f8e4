package ai.gptoss.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The byte automata of schemas: what they accept validates (independent validator), what they reject. */
class JsonGrammarTest {
  static boolean accepts(ByteDfa dfa, String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    return dfa.accepting(dfa.next(dfa.start(), b, 0, b.length));
  }

  static ByteDfa dfa(String schema) {
    return JsonGrammar.compile(ResponseFormat.parse(schema));
  }

  /** A random text the automaton accepts, or null if the walk ran past {@code maxBytes}. */
  static String randomWalk(ByteDfa dfa, Random rnd, int maxBytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int s = dfa.start();
    while (out.size() < maxBytes) {
      List<Integer> next = new ArrayList<>();
      for (int b = 0; b < 256; b++) if (dfa.next(s, b) != ByteDfa.DEAD) next.add(b);
      if (dfa.accepting(s) && (next.isEmpty() || rnd.nextInt(4) == 0)) return out.toString(StandardCharsets.UTF_8);
      assertTrue(!next.isEmpty(), "a live state with no way on");
      // prefer structure (ASCII) half of the time, so that walks finish
      List<Integer> ascii = next.stream().filter(b -> b < 0x80).toList();
      int b = !ascii.isEmpty() && rnd.nextBoolean() ? ascii.get(rnd.nextInt(ascii.size())) : next.get(rnd.nextInt(next.size()));
      out.write(b);
      s = dfa.next(s, b);
    }
    return null;
  }

  @Test
  void randomTextsOfEveryTestSchemaValidate() {
    Random rnd = new Random(20);
    for (Schemas.Case c : Schemas.all()) {
      ByteDfa dfa = JsonGrammar.compile(c.format());
      int done = 0;
      for (int i = 0; i < 300; i++) {
        String text = randomWalk(dfa, rnd, 4000);
        if (text == null) continue;
        done++;
        assertNull(c.problem(text), c.name() + ": " + text);
      }
      assertTrue(done >= 200, c.name() + ": only " + done + " of 300 walks finished");
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "answer_string|{\"answer\":\"Paris\"}|true",
      "answer_string|{\"answer\":\"a\\\"b\\\\c\\n\\u00e9\\u20AC\"}|true",
      "answer_string|{\"answer\":\"\\ud800\"}|false",
      "answer_string|{ \"answer\":\"Paris\"}|false",
      "answer_string|{\"answer\":\"Paris\",\"x\":1}|false",
      "answer_string|{}|false",
      "answer_string|{\"answer\":\"123456789012345678901\"}|false",
      "answer_string|{\"answer\":\"12345678901234567890\"}|true",
      "answer_string|{\"answer\":\"ééééééééééééééééééé€\"}|true",
      "integer_range|{\"value\":-50}|true",
      "integer_range|{\"value\":-51}|false",
      "integer_range|{\"value\":200}|true",
      "integer_range|{\"value\":201}|false",
      "integer_range|{\"value\":007}|false",
      "integer_range|{\"value\":-0}|false",
      "integer_range|{\"value\":1.0}|false",
      "number_bounds|{\"p\":0.5,\"q\":-2.499999}|true",
      "number_bounds|{\"p\":1,\"q\":9.999999}|true",
      "number_bounds|{\"p\":1.000001,\"q\":0}|false",
      "number_bounds|{\"p\":0,\"q\":-2.5}|false",
      "number_bounds|{\"p\":0,\"q\":10}|false",
      "number_bounds|{\"p\":1e0,\"q\":0}|false",
      "number_bounds|{\"p\":0.1234567,\"q\":0}|false",
      "enum_const|{\"kind\":\"capital\",\"version\":2}|true",
      "enum_const|{\"kind\":\"capitals\",\"version\":2}|false",
      "enum_const|{\"kind\":\"other\",\"version\":3}|false",
      "array_strings|[\"a\"]|true",
      "array_strings|[]|false",
      "array_strings|[\"a\",\"b\",\"c\",\"d\"]|true",
      "array_strings|[\"a\",\"b\",\"c\",\"d\",\"e\"]|false",
      "booleans_null|{\"ok\":true,\"note\":null}|true",
      "booleans_null|{\"ok\":false,\"note\":\"hi\"}|true",
      "booleans_null|{\"note\":null,\"ok\":true}|false",
      "pattern|{\"code\":\"AB-123\",\"tag\":\"abz\"}|true",
      "pattern|{\"code\":\"AB-1234\",\"tag\":\"c\"}|false",
      "pattern|{\"code\":\"Ab-123\",\"tag\":\"c\"}|false",
      "pattern|{\"code\":\"AB-123\",\"tag\":\"abw\"}|false",
      "any_of|7|true",
      "any_of|10|false",
      "any_of|\"none\"|true",
      "any_of|{\"n\":null}|true",
      "optional_props|{}|true",
      "optional_props|{\"c\":true}|true",
      "optional_props|{\"a\":1,\"c\":false}|true",
      "optional_props|{,\"c\":false}|false",
      "optional_props|{\"c\":true,\"a\":1}|false",
      "wrapped_numbers|[-1.5,1000]|true",
      "wrapped_numbers|[-1.500001,0]|false",
      "wrapped_numbers|[0.000001,999.999999,3]|true",
      "short_string|\"ab\"|true",
      "pattern_length|{\"code\":\"a1b\",\"word\":\"abc\",\"free\":\"xy\"}|true",
      "pattern_length|{\"code\":\"-a1-z9\",\"word\":\"ccabc\",\"free\":\"yyyyyx\"}|true",
      "pattern_length|{\"code\":\"a1b\",\"word\":\"abc\",\"free\":\"yyyyyyx\"}|false",
      "pattern_length|{\"code\":\"a1\",\"word\":\"abc\",\"free\":\"xy\"}|false",
      "pattern_length|{\"code\":\"a1bcdef\",\"word\":\"abc\",\"free\":\"xy\"}|false",
      "pattern_length|{\"code\":\"abc\",\"word\":\"abc\",\"free\":\"xy\"}|false",
      "pattern_length|{\"code\":\"a1b\",\"word\":\"ab\",\"free\":\"xy\"}|false",
      "pattern_length|{\"code\":\"a1b\",\"word\":\"ababab\",\"free\":\"xy\"}|false",
      "pattern_length|{\"code\":\"a1b\",\"word\":\"abc\",\"free\":\"x\"}|false",
      "pattern_length|{\"code\":\"a1b\",\"word\":\"abc\",\"free\":\"yy\"}|false",
      "short_string|\"a\"|false",
      "short_string|\"abcdefg\"|false",
  })
  void acceptsExactlyTheGeneratedForm(String schema, String text, boolean expected) {
    Schemas.Case c = Schemas.named(schema);
    ByteDfa dfa = JsonGrammar.compile(c.format());
    assertEquals(expected, accepts(dfa, text), schema + ": " + text);
    if (expected) assertNull(c.problem(text), text);
  }

  @Test
  void everyIntegerInAWindowIsAcceptedExactlyWhenInRange() {
    ByteDfa dfa = dfa("{\"type\":\"integer\",\"minimum\":-1234,\"maximum\":56789}");
    for (int v = -20000; v <= 70000; v++) assertEquals(v >= -1234 && v <= 56789, accepts(dfa, Integer.toString(v)), "" + v);
    ByteDfa all = dfa("{\"type\":\"integer\"}");
    assertTrue(accepts(all, Long.toString(Long.MIN_VALUE)));
    assertTrue(accepts(all, Long.toString(Long.MAX_VALUE)));
    assertTrue(!accepts(all, "9223372036854775808"));
    assertTrue(!accepts(all, "-9223372036854775809"));
  }

  @Test
  void decimalsAreAcceptedExactlyWhenInRange() {
    ByteDfa dfa = dfa("{\"type\":\"number\",\"minimum\":-0.25,\"exclusiveMaximum\":3.5}");
    for (int scaled = -5000; scaled <= 5000; scaled++) {
      java.math.BigDecimal v = java.math.BigDecimal.valueOf(scaled, 3);
      boolean in = v.compareTo(new java.math.BigDecimal("-0.25")) >= 0 && v.compareTo(new java.math.BigDecimal("3.5")) < 0;
      String plain = v.stripTrailingZeros().toPlainString();
      assertEquals(in, accepts(dfa, plain), plain);
      if (v.signum() != 0) assertEquals(in, accepts(dfa, v.toPlainString()), v.toPlainString()); // trailing zeros kept
    }
  }

  @Test
  void unsupportedPatternsFailNamingThePattern() {
    for (String p : new String[] {"\\bword", "(?=x)a", "a\\1", "\\p{L}", "a^b", "x{2000}"}) {
      String schema = "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"pattern\":" + JsonGrammar.compact(
          com.fasterxml.jackson.databind.node.TextNode.valueOf(p)) + "}}}";
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResponseFormat.parse(schema), p);
      assertTrue(e.getMessage().contains("at $.properties.s.pattern"), e.getMessage());
    }
  }

  @Test
  void patternWithLengthsIsTheirIntersection() {
    ByteDfa dfa = dfa("{\"type\":\"string\",\"pattern\":\"^[a-z\\\"]+$\",\"minLength\":2,\"maxLength\":1000}");
    assertTrue(accepts(dfa, "\"" + "a".repeat(1000) + "\""));
    assertTrue(!accepts(dfa, "\"" + "a".repeat(1001) + "\""));
    assertTrue(!accepts(dfa, "\"a\""));
    assertTrue(accepts(dfa, "\"a\\\"\""), "an escape is one character");
    assertTrue(!accepts(dfa, "\"a1\""));
    ByteDfa multi = dfa("{\"type\":\"string\",\"pattern\":\"é\",\"minLength\":2,\"maxLength\":2}");
    assertTrue(accepts(multi, "\"éé\"") && accepts(multi, "\"aé\"") && accepts(multi, "\"€é\""), "characters, not bytes");
    assertTrue(!accepts(multi, "\"é\"") && !accepts(multi, "\"ééé\""));
  }

  @Test
  void aPatternNoStringOfTheLengthsMatchesFailsNamingThePath() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResponseFormat.parse(
        "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"pattern\":\"^a{5}$\",\"maxLength\":4}}}"));
    assertEquals("response_format: \"pattern\" matches no string of 0 to 4 characters (\"minLength\"/\"maxLength\") at "
        + "$.properties.s", e.getMessage());
  }

  @Test
  void unanchoredPatternsMatchAnywhere() {
    ByteDfa dfa = dfa("{\"type\":\"string\",\"pattern\":\"ab|^c$\"}");
    assertTrue(accepts(dfa, "\"xxabyy\""));
    assertTrue(accepts(dfa, "\"c\""));
    assertTrue(!accepts(dfa, "\"xc\""));
  }
}
