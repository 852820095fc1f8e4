package ai.gptoss.structured;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;

/**
 * The JSON spellings of the values of a {@link NumberRange}: an optional {@code -}, an integer part
 * without leading zeros and, for numbers, an optional fraction of 1 to {@code fractionDigits} digits;
 * never an exponent, never {@code -0}. Bounds are enforced digit by digit: for each length of the
 * scaled value, the automaton tracks whether the digits so far equal the lower and upper bound's
 * digits (the classic range-to-automaton construction), so every spelling it accepts lies within
 * the bounds, and every value within them has a spelling.
 */
final class NumberGrammar {
  private NumberGrammar() {}

  static ByteNfa.Frag of(ByteNfa nfa, NumberRange r) {
    int in = nfa.newState(), out = nfa.newState();
    BigInteger lo = r.lo(), hi = r.hi();
    if (hi.signum() >= 0) {
      magnitudes(nfa, in, out, lo.max(BigInteger.ZERO), hi, r.fractionDigits());
    }
    if (lo.signum() < 0) {
      int minus = nfa.newState();
      nfa.edge(in, '-', '-', minus);
      BigInteger a = hi.signum() < 0 ? hi.negate() : BigInteger.ONE;
      magnitudes(nfa, minus, out, a, lo.negate(), r.fractionDigits());
    }
    return new ByteNfa.Frag(in, out);
  }

  /** Spellings of the scaled non-negative values {@code [a, b]} with {@code d} fraction digits. */
  private static void magnitudes(ByteNfa nfa, int in, int out, BigInteger a, BigInteger b, int d) {
    if (a.compareTo(b) > 0) return;
    int maxLen = Math.max(d + 1, b.toString().length());
    for (int len = d + 1; len <= maxLen; len++) {
      BigInteger smallest = len == d + 1 ? BigInteger.ZERO : BigInteger.TEN.pow(len - 1 - d).multiply(BigInteger.TEN.pow(d));
      BigInteger largest = BigInteger.TEN.pow(len).subtract(BigInteger.ONE);
      BigInteger x = a.max(smallest), y = b.min(largest);
      if (x.compareTo(y) > 0) continue;
      new Lengthed(nfa, pad(x, len), pad(y, len), d, out).node(in, 0, true, true);
    }
  }

  private static String pad(BigInteger v, int len) {
    String s = v.toString();
    return "0".repeat(len - s.length()) + s;
  }

  /** The digits of one length, between bounds {@code lo} and {@code hi} of that length. */
  private static final class Lengthed {
    private final ByteNfa nfa;
    private final String lo, hi;
    private final int len, dot, out;
    private final Map<Integer, Integer> nodes = new HashMap<>();

    Lengthed(ByteNfa nfa, String lo, String hi, int d, int out) {
      this.nfa = nfa;
      this.lo = lo;
      this.hi = hi;
      this.len = lo.length();
      this.dot = d == 0 ? -1 : len - d;
      this.out = out;
    }

    /**
     * Connects {@code from}, where {@code pos} digits have been written ({@code tl}/{@code th}: equal to
     * the bounds' so far), to the rest. Nodes are shared per (pos, tl, th).
     */
    void node(int from, int pos, boolean tl, boolean th) {
      if (pos == len) {
        nfa.epsilon(from, out);
        return;
      }
      if (pos == dot) {
        // may stop here (no fraction) when the remaining digits may all be zero
        if (!tl || allZero(pos)) nfa.epsilon(from, out);
        int after = nfa.newState();
        nfa.edge(from, '.', '.', after);
        digits(after, pos, tl, th);
        return;
      }
      if (dot >= 0 && pos > dot && (!tl || allZero(pos))) nfa.epsilon(from, out); // shorter fraction
      digits(from, pos, tl, th);
    }

    private void digits(int from, int pos, boolean tl, boolean th) {
      int lowest = tl ? lo.charAt(pos) - '0' : 0;
      int highest = th ? hi.charAt(pos) - '0' : 9;
      // no leading zero in an integer part longer than one digit
      boolean integerPart = dot < 0 ? true : pos < dot;
      int intLen = dot < 0 ? len : dot;
      if (pos == 0 && integerPart && intLen > 1) lowest = Math.max(lowest, 1);
      for (int c = lowest; c <= highest; c++) {
        boolean ntl = tl && c == lo.charAt(pos) - '0';
        boolean nth = th && c == hi.charAt(pos) - '0';
        int key = ((pos + 1) << 2) | (ntl ? 2 : 0) | (nth ? 1 : 0);
        Integer target = nodes.get(key);
        if (target == null) {
          target = nfa.newState();
          nodes.put(key, target);
          node(target, pos + 1, ntl, nth);
        }
        nfa.edge(from, '0' + c, '0' + c, target);
      }
    }

    private boolean allZero(int pos) {
      for (int i = pos; i < len; i++) if (lo.charAt(i) != '0') return false;
      return true;
    }
  }
}
