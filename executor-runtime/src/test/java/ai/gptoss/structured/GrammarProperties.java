package ai.gptoss.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

/** Random values are accepted by the automaton exactly when the schema accepts them (java.util.regex for patterns). */
class GrammarProperties {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Property(tries = 200)
  void aStringIsAcceptedIffItFitsMaxLength(@ForAll @StringLength(max = 12) String s, @ForAll @IntRange(min = 0, max = 10) int max)
      throws JsonProcessingException {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) Assume.that(Character.isSurrogatePair(c, i + 1 < s.length() ? s.charAt(i + 1) : 'x') || i > 0 && Character.isSurrogatePair(s.charAt(i - 1), c));
    }
    ByteDfa dfa = JsonGrammarTest.dfa("{\"type\":\"string\",\"maxLength\":" + max + "}");
    String json = JSON.writeValueAsString(s);
    assertEquals(s.codePointCount(0, s.length()) <= max, JsonGrammarTest.accepts(dfa, json), json);
  }

  @Provide
  Arbitrary<String> patterns() {
    return Arbitraries.of("", "a+b", "^(?:ab|c)+$", "[a-c]\\d", "^x.*y$", "c{2,3}", "^[^a]*$", "\\\\|\"", "(a|bb)?x{0,2}$");
  }

  @Property(tries = 400)
  void aStringIsAcceptedIffItMatchesThePatternAndFitsTheLengths(@ForAll("patterns") String pattern,
      @ForAll @StringLength(max = 9) @Chars({'a', 'b', 'c', 'x', 'y', '1', '"', '\\', '\u00e9', '\u20ac'}) String s,
      @ForAll @IntRange(min = 0, max = 6) int min, @ForAll @IntRange(min = -1, max = 8) int max) throws JsonProcessingException {
    Assume.that(max < 0 || max >= min);
    String schema = "{\"type\":\"string\",\"pattern\":" + JSON.writeValueAsString(pattern) + ",\"minLength\":" + min
        + (max >= 0 ? ",\"maxLength\":" + max : "") + "}";
    boolean expected = java.util.regex.Pattern.compile(pattern).matcher(s).find() && s.length() >= min && (max < 0 || s.length() <= max);
    ByteDfa dfa;
    try {
      dfa = JsonGrammarTest.dfa(schema);
    } catch (IllegalArgumentException e) {
      assertEquals(false, expected, "refused as empty, yet " + s + " fits " + schema + ": " + e.getMessage());
      return;
    }
    String json = JSON.writeValueAsString(s);
    assertEquals(expected, JsonGrammarTest.accepts(dfa, json), schema + " " + json);
  }

  @Property(tries = 200)
  void anIntegerIsAcceptedIffInRange(@ForAll long a, @ForAll long b, @ForAll long x) {
    long lo = Math.min(a, b), hi = Math.max(a, b);
    ByteDfa dfa = JsonGrammarTest.dfa("{\"type\":\"integer\",\"minimum\":" + lo + ",\"maximum\":" + hi + "}");
    assertEquals(x >= lo && x <= hi, JsonGrammarTest.accepts(dfa, Long.toString(x)), lo + ".." + hi + " " + x);
    assertEquals(true, JsonGrammarTest.accepts(dfa, Long.toString(lo)));
    assertEquals(true, JsonGrammarTest.accepts(dfa, Long.toString(hi)));
  }

  @Property(tries = 200)
  void aDecimalIsAcceptedIffInRange(@ForAll @IntRange(min = -2_000_000, max = 2_000_000) int lo6,
      @ForAll @IntRange(min = -2_000_000, max = 2_000_000) int hi6, @ForAll @IntRange(min = -3_000_000, max = 3_000_000) int x6) {
    Assume.that(lo6 <= hi6);
    BigDecimal lo = BigDecimal.valueOf(lo6, 6), hi = BigDecimal.valueOf(hi6, 6), x = BigDecimal.valueOf(x6, 6);
    ByteDfa dfa = JsonGrammarTest.dfa("{\"type\":\"number\",\"minimum\":" + lo.toPlainString() + ",\"maximum\":" + hi.toPlainString() + "}");
    String text = x.signum() == 0 ? "0" : x.stripTrailingZeros().toPlainString();
    assertEquals(x.compareTo(lo) >= 0 && x.compareTo(hi) <= 0, JsonGrammarTest.accepts(dfa, text), lo + ".." + hi + " " + text);
  }
}
