package ai.gptoss.structured;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A string {@code pattern} together with {@code minLength}/{@code maxLength}: the strings the pattern's grammar
 * generates that have {@code min} to {@code max} characters (Unicode code points, as JSON Schema counts), as the
 * product of the pattern's character automaton with a character counter.
 *
 * <p>The pattern ({@link PatternGrammar}) is first built as a Thompson automaton over characters (a
 * {@link ByteNfa} whose edge labels are indices of character sets, not bytes), then reduced to positions without
 * epsilon edges (the start and the target of each character edge). The product's states are (position, count),
 * made only where reachable from (start, 0); each of its character edges is the character set's byte fragment
 * ({@link StringGrammar#charIn}: one character, raw UTF-8 or escaped) from (p, k) to (q, k + 1), at most
 * {@code max}; without {@code max} the count stops growing at {@code min}. A state is accepting where its position
 * ends the pattern and its count is at least {@code min}. Every character of the pattern's grammar is one counted
 * character, so the product generates exactly the intersection; states that cannot reach acceptance are dropped
 * by {@link ByteDfa}, so masks never stick.
 */
final class BoundedPattern {
  private final ByteNfa chars;
  /** The character set of each label of {@link #chars}. */
  private final List<List<int[]>> sets = new ArrayList<>();

  private BoundedPattern(String what) {
    this.chars = new ByteNfa(what);
  }

  /**
   * The strings of {@code pattern}'s grammar with {@code min} to {@code max} (-1: unbounded) characters, built
   * into {@code nfa}.
   *
   * @param path the string schema's path, for errors
   * @throws IllegalArgumentException naming the path when no string has both (the schema would accept nothing)
   */
  static ByteNfa.Frag compile(ByteNfa nfa, PatternGrammar.Node pattern, int min, int max, String path) {
    BoundedPattern b = new BoundedPattern("pattern at " + path);
    ByteNfa.Frag f = b.build(pattern);
    return b.product(nfa, f.in(), f.out(), min, max, path);
  }

  private ByteNfa.Frag build(PatternGrammar.Node n) {
    if (n instanceof PatternGrammar.Chars c) {
      int label = sets.size();
      sets.add(c.ranges());
      return chars.range(label, label);
    }
    if (n instanceof PatternGrammar.Seq s) {
      ByteNfa.Frag acc = chars.empty();
      for (PatternGrammar.Node i : s.items()) acc = chars.seq(acc, build(i));
      return acc;
    }
    if (n instanceof PatternGrammar.Alt a) return chars.alt(a.options().stream().map(this::build).toArray(ByteNfa.Frag[]::new));
    PatternGrammar.Repeat r = (PatternGrammar.Repeat) n;
    return chars.repeat(() -> build(r.body()), r.min(), r.max());
  }

  /** One position without epsilons: the character edges (label, target position) leaving it, and whether it may end. */
  private record Position(int[] edges, boolean accepting) {}

  private ByteNfa.Frag product(ByteNfa nfa, int start, int accept, int min, int max, String path) {
    int top = max >= 0 ? max : min; // counts beyond are all alike
    Map<Integer, Position> positions = new HashMap<>();
    Map<Long, Integer> states = new HashMap<>();
    ArrayDeque<long[]> queue = new ArrayDeque<>(); // (position, count)
    int in = nfa.newState(), out = nfa.newState();
    states.put(key(start, 0, top), in);
    queue.add(new long[] {start, 0});
    boolean any = false;
    while (!queue.isEmpty()) {
      long[] pk = queue.poll();
      int p = (int) pk[0], k = (int) pk[1];
      int here = states.get(key(p, k, top));
      Position pos = positions.computeIfAbsent(p, x -> position(x, accept));
      if (pos.accepting() && k >= min) {
        nfa.epsilon(here, out);
        any = true;
      }
      if (max >= 0 && k == max) continue;
      int next = Math.min(k + 1, top);
      for (int i = 0; i < pos.edges().length; i += 2) {
        int q = pos.edges()[i + 1];
        Integer there = states.get(key(q, next, top));
        if (there == null) {
          there = nfa.newState();
          states.put(key(q, next, top), there);
          queue.add(new long[] {q, next});
        }
        ByteNfa.Frag c = StringGrammar.charIn(nfa, sets.get(pos.edges()[i]));
        nfa.epsilon(here, c.in());
        nfa.epsilon(c.out(), there);
      }
    }
    if (!any) {
      throw SchemaKeywords.error(path, "\"pattern\" matches no string of " + min + (max >= 0 ? " to " + max : " or more")
          + " characters (\"minLength\"/\"maxLength\")");
    }
    return new ByteNfa.Frag(in, out);
  }

  private static long key(int position, int count, int top) {
    return (long) position * (top + 1L) + count;
  }

  /** Position {@code p}: the character edges of its epsilon closure, and whether the closure holds {@code accept}. */
  private Position position(int p, int accept) {
    boolean[] seen = new boolean[chars.size()];
    ArrayDeque<Integer> todo = new ArrayDeque<>();
    seen[p] = true;
    todo.add(p);
    int[] edges = new int[8];
    int n = 0;
    boolean accepting = false;
    while (!todo.isEmpty()) {
      int s = todo.poll();
      if (s == accept) accepting = true;
      for (int e : chars.epsilons(s)) {
        if (!seen[e]) {
          seen[e] = true;
          todo.add(e);
        }
      }
      int[] data = chars.edgeData(s);
      for (int i = 0; i < chars.edgeCount(s); i += 3) {
        if (n + 2 > edges.length) edges = Arrays.copyOf(edges, edges.length * 2);
        edges[n++] = data[i]; // label (lo == hi)
        edges[n++] = data[i + 2];
      }
    }
    return new Position(Arrays.copyOf(edges, n), accepting);
  }
}
