package ai.gptoss.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;

/**
 * The deterministic automaton of a {@link ByteNfa}, built lazily (subset construction, one state's
 * 256 transitions at a time, as RE2 and Rust's regex-automata do): a grammar's states are only made
 * when a generation or a mask walk reaches them. NFA states from which the accepting state cannot be
 * reached are dropped first, so every DFA state other than {@link #DEAD} can still complete a valid
 * answer: a row never gets stuck.
 *
 * <p>Thread-safe: every method synchronizes on the automaton; a mask walk holds the lock once for its
 * whole walk ({@link #locked}).
 */
final class ByteDfa {
  static final int DEAD = -1;
  /** Most DFA states one grammar may make (each holds 256 transitions). */
  static final int MAX_STATES = 200_000;

  private final ByteNfa nfa;
  private final boolean[] live;
  private final int acceptNfa;
  private final HashMap<SetKey, Integer> ids = new HashMap<>();
  private final List<int[]> sets = new ArrayList<>();
  private final List<int[]> transitions = new ArrayList<>(); // null until expanded
  private final List<Boolean> accepting = new ArrayList<>();
  private final int start;
  private final int[] mark;
  private int stamp;

  ByteDfa(ByteNfa nfa, int startNfa, int acceptNfa) {
    this.nfa = nfa;
    this.acceptNfa = acceptNfa;
    this.live = nfa.coReachable(acceptNfa);
    this.mark = new int[nfa.size()];
    if (!live[startNfa]) throw new IllegalArgumentException("response_format: the schema accepts no value");
    this.start = intern(closure(new int[] {startNfa}, 1));
  }

  int start() {
    return start;
  }

  synchronized int next(int state, int b) {
    return nextLocked(state, b);
  }

  /** The state after {@code bytes[from..to)}, or {@link #DEAD}. */
  synchronized int next(int state, byte[] bytes, int from, int to) {
    for (int i = from; i < to && state != DEAD; i++) state = nextLocked(state, bytes[i] & 0xff);
    return state;
  }

  synchronized boolean accepting(int state) {
    return state != DEAD && accepting.get(state);
  }

  /** True when some byte leads on from {@code state}. */
  synchronized boolean hasExits(int state) {
    if (state == DEAD) return false;
    for (int b = 0; b < 256; b++) if (nextLocked(state, b) != DEAD) return true;
    return false;
  }

  synchronized int size() {
    return sets.size();
  }

  /** Runs {@code body} holding the automaton's lock, with unsynchronized access through the given view. */
  synchronized <T> T locked(java.util.function.Function<Locked, T> body) {
    return body.apply(this::nextLocked);
  }

  /** Transitions without locking; valid only inside {@link #locked}. */
  interface Locked {
    int next(int state, int b);
  }

  private int nextLocked(int state, int b) {
    int[] t = transitions.get(state);
    if (t == null) t = expand(state);
    return t[b];
  }

  private int[] expand(int state) {
    int[] set = sets.get(state);
    int[][] buckets = new int[256][];
    int[] counts = new int[256];
    for (int s : set) {
      int n = nfa.edgeCount(s);
      int[] e = nfa.edgeData(s);
      for (int i = 0; i < n; i += 3) {
        int target = e[i + 2];
        if (!live[target]) continue;
        for (int b = e[i]; b <= e[i + 1]; b++) {
          int[] bk = buckets[b];
          if (bk == null) buckets[b] = bk = new int[4];
          else if (counts[b] == bk.length) buckets[b] = bk = Arrays.copyOf(bk, bk.length * 2);
          bk[counts[b]++] = target;
        }
      }
    }
    int[] t = new int[256];
    HashMap<SetKey, Integer> memo = new HashMap<>();
    for (int b = 0; b < 256; b++) {
      if (counts[b] == 0) {
        t[b] = DEAD;
        continue;
      }
      SetKey raw = new SetKey(Arrays.copyOf(buckets[b], counts[b]));
      Integer known = memo.get(raw);
      if (known == null) {
        known = intern(closure(raw.states, raw.states.length));
        memo.put(raw, known);
      }
      t[b] = known;
    }
    transitions.set(state, t);
    return t;
  }

  /** The live states reachable from {@code seeds} by epsilon edges, sorted. */
  private int[] closure(int[] seeds, int n) {
    if (++stamp == Integer.MAX_VALUE) {
      Arrays.fill(mark, 0);
      stamp = 1;
    }
    int[] out = new int[Math.max(8, n * 2)];
    int count = 0;
    int[] stack = new int[Math.max(8, n * 2)];
    int sp = 0;
    for (int i = 0; i < n; i++) {
      int s = seeds[i];
      if (live[s] && mark[s] != stamp) {
        mark[s] = stamp;
        if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
        stack[sp++] = s;
      }
    }
    while (sp > 0) {
      int s = stack[--sp];
      if (count == out.length) out = Arrays.copyOf(out, count * 2);
      out[count++] = s;
      for (int t : nfa.epsilons(s)) {
        if (live[t] && mark[t] != stamp) {
          mark[t] = stamp;
          if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
          stack[sp++] = t;
        }
      }
    }
    int[] set = Arrays.copyOf(out, count);
    Arrays.sort(set);
    return set;
  }

  private int intern(int[] set) {
    SetKey k = new SetKey(set);
    Integer id = ids.get(k);
    if (id != null) return id;
    if (sets.size() == MAX_STATES) {
      throw new IllegalStateException("response_format: the grammar made more than " + MAX_STATES + " automaton states");
    }
    id = sets.size();
    ids.put(k, id);
    sets.add(set);
    transitions.add(null);
    accepting.add(Arrays.binarySearch(set, acceptNfa) >= 0);
    return id;
  }

  private record SetKey(int[] states) {
    @Override
    public boolean equals(Object o) {
      return o instanceof SetKey k && Arrays.equals(states, k.states);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(states);
    }
  }
}
