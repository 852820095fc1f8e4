package ai.gptoss.structured;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * A Thompson NFA over bytes, built from fragments: states joined by epsilon edges and by byte-range
 * edges. {@link JsonGrammar} builds one per schema; {@link ByteDfa} determinizes it lazily.
 *
 * <p>Fragments are (entry, exit) state pairs; every builder method returns a new fragment and never
 * changes an existing one except by adding edges out of its exit, so a fragment is used once (build
 * it again to repeat it).
 */
final class ByteNfa {
  /** Most states one grammar may have; beyond it the schema is rejected as too large. */
  static final int MAX_STATES = 1 << 21;

  record Frag(int in, int out) {}

  private int size;
  private int[][] eps = new int[64][];
  private int[] epsCount = new int[64];
  /** Byte edges of each state: triples (lo, hi, target), flattened. */
  private int[][] edges = new int[64][];
  private int[] edgeCount = new int[64];
  private final String what;

  ByteNfa(String what) {
    this.what = what;
  }

  int size() {
    return size;
  }

  int newState() {
    if (size == MAX_STATES) {
      throw new IllegalArgumentException("response_format: the schema's grammar needs more than " + MAX_STATES
          + " states (" + what + "); lower maxLength, maxItems or the nesting");
    }
    if (size == eps.length) {
      int n = size * 2;
      eps = Arrays.copyOf(eps, n);
      epsCount = Arrays.copyOf(epsCount, n);
      edges = Arrays.copyOf(edges, n);
      edgeCount = Arrays.copyOf(edgeCount, n);
    }
    return size++;
  }

  void epsilon(int from, int to) {
    int[] e = eps[from];
    if (e == null) eps[from] = e = new int[2];
    else if (epsCount[from] == e.length) eps[from] = e = Arrays.copyOf(e, e.length * 2);
    e[epsCount[from]++] = to;
  }

  void edge(int from, int lo, int hi, int to) {
    int[] e = edges[from];
    if (e == null) edges[from] = e = new int[6];
    else if (edgeCount[from] + 3 > e.length) edges[from] = e = Arrays.copyOf(e, e.length * 2);
    int c = edgeCount[from];
    e[c] = lo;
    e[c + 1] = hi;
    e[c + 2] = to;
    edgeCount[from] = c + 3;
  }

  // ---- fragments ----

  Frag empty() {
    int s = newState();
    return new Frag(s, s);
  }

  Frag bytes(byte[] b) {
    int in = newState(), cur = in;
    for (byte x : b) {
      int next = newState();
      edge(cur, x & 0xff, x & 0xff, next);
      cur = next;
    }
    return new Frag(in, cur);
  }

  Frag literal(String ascii) {
    return bytes(ascii.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  Frag range(int lo, int hi) {
    int in = newState(), out = newState();
    edge(in, lo, hi, out);
    return new Frag(in, out);
  }

  Frag seq(Frag... parts) {
    for (int i = 0; i + 1 < parts.length; i++) epsilon(parts[i].out, parts[i + 1].in);
    return new Frag(parts[0].in, parts[parts.length - 1].out);
  }

  Frag alt(Frag... options) {
    int in = newState(), out = newState();
    for (Frag f : options) {
      epsilon(in, f.in);
      epsilon(f.out, out);
    }
    return new Frag(in, out);
  }

  Frag optional(Frag f) {
    epsilon(f.in, f.out);
    return f;
  }

  /** Zero or more repetitions of {@code f}. */
  Frag star(Frag f) {
    int s = newState();
    epsilon(s, f.in);
    epsilon(f.out, s);
    return new Frag(s, s);
  }

  /** {@code min} to {@code max} (-1: unbounded) repetitions of fragments made by {@code make}. */
  Frag repeat(java.util.function.Supplier<Frag> make, int min, int max) {
    Frag acc = empty();
    for (int i = 0; i < min; i++) acc = seq(acc, make.get());
    if (max < 0) return seq(acc, star(make.get()));
    // Optional tail: each further copy may be skipped to the end.
    int end = newState();
    int cur = acc.out;
    for (int i = min; i < max; i++) {
      epsilon(cur, end);
      Frag f = make.get();
      epsilon(cur, f.in);
      cur = f.out;
    }
    epsilon(cur, end);
    return new Frag(acc.in, end);
  }

  // ---- read side, for ByteDfa ----

  int[] epsilons(int s) {
    return eps[s] == null ? EMPTY : Arrays.copyOf(eps[s], epsCount[s]);
  }

  int edgeCount(int s) {
    return edgeCount[s];
  }

  int[] edgeData(int s) {
    return edges[s];
  }

  /** The states from which {@code accept} can be reached (by any edges). */
  boolean[] coReachable(int accept) {
    int[][] rev = new int[size][];
    int[] revCount = new int[size];
    for (int s = 0; s < size; s++) {
      for (int i = 0; i < epsCount[s]; i++) addRev(rev, revCount, eps[s][i], s);
      for (int i = 0; i < edgeCount[s]; i += 3) addRev(rev, revCount, edges[s][i + 2], s);
    }
    boolean[] live = new boolean[size];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    live[accept] = true;
    queue.add(accept);
    while (!queue.isEmpty()) {
      int t = queue.poll();
      for (int i = 0; i < revCount[t]; i++) {
        int s = rev[t][i];
        if (!live[s]) {
          live[s] = true;
          queue.add(s);
        }
      }
    }
    return live;
  }

  private static void addRev(int[][] rev, int[] count, int to, int from) {
    int[] r = rev[to];
    if (r == null) rev[to] = r = new int[2];
    else if (count[to] == r.length) rev[to] = r = Arrays.copyOf(r, r.length * 2);
    r[count[to]++] = from;
  }

  private static final int[] EMPTY = new int[0];
}
