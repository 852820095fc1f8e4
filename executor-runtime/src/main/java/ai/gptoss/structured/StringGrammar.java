package ai.gptoss.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * JSON string contents as byte fragments: one character (a Unicode scalar value) at a time, in UTF-8,
 * with the escapes JSON needs. Control characters (below U+0020) are only written as escapes, and
 * surrogate code points never appear (neither raw, which UTF-8 forbids, nor as {@code \\uD8xx}).
 */
final class StringGrammar {
  private StringGrammar() {}

  static final int MAX_CODE_POINT = 0x10FFFF;

  /** One character of a free string: any scalar value, raw, or any JSON escape but a surrogate. */
  static ByteNfa.Frag anyChar(ByteNfa nfa) {
    int in = nfa.newState(), out = nfa.newState();
    rawRange(nfa, in, out, 0x20, 0x21);
    rawRange(nfa, in, out, 0x23, 0x5B);
    rawRange(nfa, in, out, 0x5D, MAX_CODE_POINT);
    int esc = nfa.newState();
    nfa.edge(in, '\\', '\\', esc);
    for (char c : new char[] {'"', '\\', '/', 'b', 'f', 'n', 'r', 't'}) nfa.edge(esc, c, c, out);
    // \\uXXXX, not D800-DFFF: the first two hex digits are anything but d8..df.
    int u = nfa.newState(), h1 = nfa.newState(), h1d = nfa.newState(), h2 = nfa.newState(), h3 = nfa.newState();
    nfa.edge(esc, 'u', 'u', u);
    hex(nfa, u, h1, "0123456789abcefABCEF");
    hex(nfa, u, h1d, "dD");
    hex(nfa, h1, h2, "0123456789abcdefABCDEF");
    hex(nfa, h1d, h2, "01234567");
    hex(nfa, h2, h3, "0123456789abcdefABCDEF");
    hex(nfa, h3, out, "0123456789abcdefABCDEF");
    return new ByteNfa.Frag(in, out);
  }

  private static void hex(ByteNfa nfa, int from, int to, String digits) {
    for (char c : digits.toCharArray()) nfa.edge(from, c, c, to);
  }

  /**
   * One character from a set of code-point ranges ({@code [lo, hi]} pairs, sorted, disjoint): written
   * raw, except {@code "} and {@code \\} as {@code \\"} and {@code \\\\}; control characters and
   * surrogates in the set are never generated.
   */
  static ByteNfa.Frag charIn(ByteNfa nfa, List<int[]> ranges) {
    int in = nfa.newState(), out = nfa.newState();
    for (int[] r : normalize(ranges)) {
      int lo = Math.max(r[0], 0x20), hi = Math.min(r[1], MAX_CODE_POINT);
      for (int special : new int[] {'"', '\\'}) {
        if (lo <= special && special <= hi) {
          ByteNfa.Frag esc = nfa.literal(special == '"' ? "\\\"" : "\\\\");
          nfa.epsilon(in, esc.in());
          nfa.epsilon(esc.out(), out);
        }
      }
      // the range less the two escaped characters
      int from = lo;
      for (int special : new int[] {'"', '\\'}) {
        if (from <= special && special <= hi) {
          rawRange(nfa, in, out, from, special - 1);
          from = special + 1;
        }
      }
      rawRange(nfa, in, out, from, hi);
    }
    return new ByteNfa.Frag(in, out);
  }

  /** Edges from {@code in} to {@code out} for the UTF-8 encodings of code points {@code [lo, hi]} (surrogates left out). */
  static void rawRange(ByteNfa nfa, int in, int out, int lo, int hi) {
    if (lo > hi) return;
    if (lo <= 0xDFFF && hi >= 0xD800) {
      rawRange(nfa, in, out, lo, 0xD7FF);
      rawRange(nfa, in, out, 0xE000, hi);
      return;
    }
    for (int boundary : new int[] {0x7F, 0x7FF, 0xFFFF}) {
      if (lo <= boundary && boundary < hi) {
        rawRange(nfa, in, out, lo, boundary);
        rawRange(nfa, in, out, boundary + 1, hi);
        return;
      }
    }
    if (hi < 0x80) {
      nfa.edge(in, lo, hi, out);
      return;
    }
    int n = hi < 0x800 ? 2 : hi < 0x10000 ? 3 : 4;
    for (int i = 1; i < n; i++) {
      int m = (1 << (6 * i)) - 1;
      if ((lo & ~m) != (hi & ~m)) {
        if ((lo & m) != 0) {
          rawRange(nfa, in, out, lo, lo | m);
          rawRange(nfa, in, out, (lo | m) + 1, hi);
          return;
        }
        if ((hi & m) != m) {
          rawRange(nfa, in, out, lo, (hi & ~m) - 1);
          rawRange(nfa, in, out, hi & ~m, hi);
          return;
        }
      }
    }
    byte[] a = new String(Character.toChars(lo)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] b = new String(Character.toChars(hi)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int cur = in;
    for (int i = 0; i < a.length; i++) {
      int next = i == a.length - 1 ? out : nfa.newState();
      nfa.edge(cur, a[i] & 0xff, b[i] & 0xff, next);
      cur = next;
    }
  }

  /** The complement of sorted disjoint ranges within {@code [0x20, MAX_CODE_POINT]}. */
  static List<int[]> complement(List<int[]> ranges) {
    List<int[]> out = new ArrayList<>();
    int next = 0x20;
    for (int[] r : normalize(ranges)) {
      if (r[1] < next) continue;
      if (r[0] > next) out.add(new int[] {next, r[0] - 1});
      next = Math.max(next, r[1] + 1);
    }
    if (next <= MAX_CODE_POINT) out.add(new int[] {next, MAX_CODE_POINT});
    return out;
  }

  /** Sorted, merged copy of {@code ranges}. */
  static List<int[]> normalize(List<int[]> ranges) {
    List<int[]> sorted = new ArrayList<>(ranges);
    sorted.sort((x, y) -> Integer.compare(x[0], y[0]));
    List<int[]> out = new ArrayList<>();
    for (int[] r : sorted) {
      if (r[0] > r[1]) continue;
      if (!out.isEmpty() && out.get(out.size() - 1)[1] + 1 >= r[0]) {
        int[] last = out.get(out.size() - 1);
        last[1] = Math.max(last[1], r[1]);
      } else {
        out.add(new int[] {r[0], r[1]});
      }
    }
    return out;
  }
}
