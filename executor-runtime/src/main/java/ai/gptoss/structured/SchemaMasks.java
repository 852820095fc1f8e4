package ai.gptoss.structured;

import ai.gptoss.backend.TokenMask;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.harmony.HarmonyTokens;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One schema compiled for generation: its byte automaton ({@link JsonGrammar}) and the token masks of
 * its states, computed on first use by walking the vocabulary trie from the state (a token is allowed
 * when its bytes lead to a live state; {@code <|return|>} too where the JSON value is complete), and
 * kept in a bounded least-recently-used cache shared by every request with this schema.
 *
 * <p>Precompiled: {@link #of} computes, on the calling (submitting) thread, the masks of the states a
 * generation meets first ({@link #precompute}: breadth-first over token transitions from the start,
 * up to {@value #PRECOMPUTE_MASKS} masks or {@value #PRECOMPUTE_MILLIS} ms), so that the engine's loop
 * thread mostly finds its masks cached; states beyond are computed there on first use.
 *
 * <p>Thread-safe. Get instances from {@link #of}, which keeps one per distinct schema.
 */
public final class SchemaMasks {
  /** Masks kept per schema (25 KB each for o200k_harmony). */
  static final int MAX_MASKS = 1024;
  /** Distinct schemas kept compiled. */
  static final int MAX_SCHEMAS = 16;
  /** Masks {@link #of} computes ahead, at most, per new schema, and the time it may spend on them. */
  static final int PRECOMPUTE_MASKS = 256;
  static final int PRECOMPUTE_MILLIS = 2000;

  private static final Map<String, SchemaMasks> SCHEMAS = new LinkedHashMap<>(16, 0.75f, true);

  private final ResponseFormat format;
  private final ByteDfa dfa;
  private final VocabTrie trie;
  private final HarmonyTokenizer tokenizer;
  private final int vocab;
  private final Map<Integer, TokenMask> masks = new LinkedHashMap<>(64, 0.75f, true); // guarded by itself
  private final AtomicLong computed = new AtomicLong(), computeNanos = new AtomicLong(), hits = new AtomicLong();

  SchemaMasks(ResponseFormat format, ByteDfa dfa, VocabTrie trie, HarmonyTokenizer tokenizer, int vocab) {
    this.format = format;
    this.dfa = dfa;
    this.trie = trie;
    this.tokenizer = tokenizer;
    this.vocab = vocab;
  }

  /**
   * The compiled schema of {@code format} for a model of {@code vocab} tokens: compiled once per
   * distinct schema and vocabulary, the {@value #MAX_SCHEMAS} most recently used kept.
   */
  public static SchemaMasks of(ResponseFormat format, int vocab) {
    String key = vocab + ":" + format.key();
    synchronized (SCHEMAS) {
      SchemaMasks m = SCHEMAS.get(key);
      if (m != null) return m;
    }
    SchemaMasks made = new SchemaMasks(format, JsonGrammar.compile(format), VocabTrie.get(), HarmonyTokenizer.get(), vocab);
    made.precompute(PRECOMPUTE_MASKS, PRECOMPUTE_MILLIS * 1_000_000L);
    synchronized (SCHEMAS) {
      SchemaMasks m = SCHEMAS.putIfAbsent(key, made);
      if (SCHEMAS.size() > MAX_SCHEMAS) {
        var it = SCHEMAS.entrySet().iterator();
        it.next();
        it.remove();
      }
      return m != null ? m : made;
    }
  }

  /**
   * Builds the automaton of {@code format} and throws what building it finds (a pattern outside the
   * supported subset, a grammar too large): the planning-time check beyond keywords.
   */
  static void check(ResponseFormat format) {
    JsonGrammar.compile(format);
  }

  public ResponseFormat format() {
    return format;
  }

  int start() {
    return dfa.start();
  }

  boolean accepting(int state) {
    return dfa.accepting(state);
  }

  /** True when the value is complete and nothing may follow it but the end of the message. */
  boolean finished(int state) {
    return dfa.accepting(state) && !dfa.hasExits(state);
  }

  /** The state after token {@code id}'s bytes, {@link ByteDfa#DEAD} if the grammar rejects them. */
  int advance(int state, int id) {
    if (id < 0 || id >= HarmonyTokens.FIRST_SPECIAL) return ByteDfa.DEAD;
    byte[] b = tokenizer.tokenBytes(id);
    return dfa.next(state, b, 0, b.length);
  }

  /** The mask of a live automaton state (cached). */
  TokenMask mask(int state) {
    synchronized (masks) {
      TokenMask m = masks.get(state);
      if (m != null) {
        hits.incrementAndGet();
        return m;
      }
    }
    long t0 = System.nanoTime();
    TokenMask m = compute(state);
    computeNanos.addAndGet(System.nanoTime() - t0);
    computed.incrementAndGet();
    synchronized (masks) {
      TokenMask prior = masks.putIfAbsent(state, m);
      if (masks.size() > MAX_MASKS) {
        var it = masks.entrySet().iterator();
        it.next();
        it.remove();
      }
      return prior != null ? prior : m;
    }
  }

  /**
   * Computes the masks of states reachable from the start at token boundaries, breadth first, until
   * {@code maxMasks} are cached or {@code maxNanos} have passed; returns how many it computed.
   */
  int precompute(int maxMasks, long maxNanos) {
    long t0 = System.nanoTime();
    java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>();
    java.util.BitSet seen = new java.util.BitSet();
    queue.add(dfa.start());
    seen.set(dfa.start());
    int done = 0;
    while (!queue.isEmpty() && done < maxMasks && System.nanoTime() - t0 < maxNanos) {
      int s = queue.poll();
      java.util.BitSet next = new java.util.BitSet();
      long c0 = System.nanoTime();
      TokenMask m = new TokenMask(walk(s, next), vocab);
      computeNanos.addAndGet(System.nanoTime() - c0);
      computed.incrementAndGet();
      synchronized (masks) {
        masks.putIfAbsent(s, m);
      }
      done++;
      for (int t = next.nextSetBit(0); t >= 0; t = next.nextSetBit(t + 1)) {
        if (!seen.get(t)) {
          seen.set(t);
          queue.add(t);
        }
      }
    }
    return done;
  }

  TokenMask compute(int state) { // package-private: SchemaMasksBenchmark
    return new TokenMask(walk(state, null), vocab);
  }

  /** The bits of {@code state}'s mask; with {@code successors}, also the states its allowed tokens lead to. */
  private long[] walk(int state, java.util.BitSet successors) {
    long[] bits = new long[TokenMask.words(vocab)];
    dfa.locked(d -> {
      int[] stateAt = new int[trie.maxDepth + 1];
      stateAt[0] = state;
      byte[] by = trie.bytes;
      short[] de = trie.depth;
      int[] end = trie.end, tok = trie.token;
      int n = trie.size();
      for (int i = 0; i < n; ) {
        int depth = de[i];
        int s = d.next(stateAt[depth - 1], by[i] & 0xff);
        if (s == ByteDfa.DEAD) {
          i = end[i];
          continue;
        }
        stateAt[depth] = s;
        int t = tok[i];
        if (t >= 0 && t < vocab) {
          bits[t >>> 6] |= 1L << t;
          if (successors != null) successors.set(s);
        }
        i++;
      }
      return null;
    });
    if (dfa.accepting(state) && HarmonyTokens.RETURN < vocab) bits[HarmonyTokens.RETURN >>> 6] |= 1L << HarmonyTokens.RETURN;
    return bits;
  }

  /** Masks computed (cache misses), their total time, and cache hits, since this schema was compiled. */
  public record Stats(long computed, long computeNanos, long hits, int automatonStates) {}

  public Stats stats() {
    return new Stats(computed.get(), computeNanos.get(), hits.get(), dfa.size());
  }
}
