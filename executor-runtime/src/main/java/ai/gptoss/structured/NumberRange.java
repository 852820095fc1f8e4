package ai.gptoss.structured;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * The values a number or integer schema may produce, as fixed-point decimals: every value is
 * {@code n / 10^fractionDigits} for an integer {@code n} in {@code [lo, hi]}.
 *
 * <p>Integers: no fraction digits, within the schema's bounds and the signed 64-bit range (so they
 * fit a Spark {@code LongType}). Numbers: at most {@value #NUMBER_FRACTION_DIGITS} fraction digits and
 * magnitude below 10^{@value #NUMBER_INTEGER_DIGITS} within the schema's bounds, never an exponent.
 * Values a schema accepts outside these (more fraction digits, exponents) are simply never generated:
 * the grammar is a subset of the schema, so every answer validates.
 *
 * @param fractionDigits digits after the decimal point (0 for integers)
 * @param lo smallest {@code n}
 * @param hi largest {@code n}
 */
record NumberRange(int fractionDigits, BigInteger lo, BigInteger hi) {
  static final int NUMBER_FRACTION_DIGITS = 6;
  static final int NUMBER_INTEGER_DIGITS = 15;

  /** The range of a number ({@code fractional}) or integer schema; fails naming the path when empty. */
  static NumberRange of(JsonNode s, String path, boolean fractional) {
    int d = fractional ? NUMBER_FRACTION_DIGITS : 0;
    BigInteger lo, hi;
    if (fractional) {
      hi = BigInteger.TEN.pow(NUMBER_INTEGER_DIGITS + d).subtract(BigInteger.ONE);
      lo = hi.negate();
    } else {
      lo = BigInteger.valueOf(Long.MIN_VALUE);
      hi = BigInteger.valueOf(Long.MAX_VALUE);
    }
    BigDecimal v;
    if ((v = SchemaKeywords.number(s, "minimum", path)) != null) lo = lo.max(scaled(v, d, RoundingMode.CEILING));
    if ((v = SchemaKeywords.number(s, "exclusiveMinimum", path)) != null) {
      lo = lo.max(scaled(v, d, RoundingMode.FLOOR).add(BigInteger.ONE));
    }
    if ((v = SchemaKeywords.number(s, "maximum", path)) != null) hi = hi.min(scaled(v, d, RoundingMode.FLOOR));
    if ((v = SchemaKeywords.number(s, "exclusiveMaximum", path)) != null) {
      hi = hi.min(scaled(v, d, RoundingMode.CEILING).subtract(BigInteger.ONE));
    }
    if (lo.compareTo(hi) > 0) {
      throw SchemaKeywords.error(path, "no " + (fractional ? "number with at most " + d + " fraction digits" : "64-bit integer")
          + " lies within the bounds");
    }
    return new NumberRange(d, lo, hi);
  }

  private static BigInteger scaled(BigDecimal v, int d, RoundingMode mode) {
    return v.movePointRight(d).setScale(0, mode).toBigIntegerExact();
  }
}
