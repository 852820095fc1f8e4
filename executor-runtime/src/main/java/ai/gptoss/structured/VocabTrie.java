package ai.gptoss.structured;

import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.harmony.HarmonyTokens;
import java.util.Arrays;

/**
 * The byte strings of every o200k_base token (ids 0..{@value HarmonyTokens#FIRST_SPECIAL}-1) as a
 * trie in preorder arrays, for walking an automaton over all tokens at once: a subtree whose prefix
 * the automaton rejects is skipped whole. Special tokens are not in it (never allowed inside JSON).
 *
 * <p>Node {@code i} holds byte {@code bytes[i]} at depth {@code depth[i]} (1 for a token's first
 * byte); its subtree is {@code [i + 1, end[i])}; {@code token[i]} is the token whose bytes end there,
 * or -1. Immutable; {@link #get()} is the shared instance (built once, about a second).
 */
final class VocabTrie {
  final byte[] bytes;
  final short[] depth;
  final int[] end;
  final int[] token;
  final int maxDepth;

  private VocabTrie(byte[][] tokenBytes) {
    Integer[] order = new Integer[tokenBytes.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(tokenBytes[a], tokenBytes[b]));
    int cap = 1 << 20;
    byte[] by = new byte[cap];
    short[] de = new short[cap];
    int[] en = new int[cap], tok = new int[cap];
    int n = 0, deepest = 0;
    int longest = 0;
    for (byte[] t : tokenBytes) longest = Math.max(longest, t.length);
    if (longest > Short.MAX_VALUE) throw new IllegalStateException("a token of " + longest + " bytes");
    int[] path = new int[longest + 1]; // node index at each depth of the current path
    byte[] prev = new byte[0];
    for (int id : order) {
      byte[] t = tokenBytes[id];
      if (t.length == 0) continue;
      int common = 0;
      while (common < prev.length && common < t.length && prev[common] == t[common]) common++;
      if (common == t.length && common == prev.length) throw new IllegalStateException("two tokens spell the same bytes: " + id);
      // close the subtrees deeper than the common prefix
      for (int d = prev.length; d > common; d--) en[path[d]] = n;
      for (int d = common + 1; d <= t.length; d++) {
        if (n == by.length) {
          cap *= 2;
          by = Arrays.copyOf(by, cap);
          de = Arrays.copyOf(de, cap);
          en = Arrays.copyOf(en, cap);
          tok = Arrays.copyOf(tok, cap);
        }
        by[n] = t[d - 1];
        de[n] = (short) d;
        tok[n] = -1;
        path[d] = n++;
      }
      tok[path[t.length]] = id;
      deepest = Math.max(deepest, t.length);
      prev = t;
    }
    for (int d = prev.length; d >= 1; d--) en[path[d]] = n;
    bytes = Arrays.copyOf(by, n);
    depth = Arrays.copyOf(de, n);
    end = Arrays.copyOf(en, n);
    token = Arrays.copyOf(tok, n);
    maxDepth = deepest;
  }

  private static final class Holder {
    static final VocabTrie INSTANCE = of(HarmonyTokenizer.get());
  }

  static VocabTrie get() {
    return Holder.INSTANCE;
  }

  static VocabTrie of(HarmonyTokenizer tok) {
    byte[][] all = new byte[HarmonyTokens.FIRST_SPECIAL][];
    for (int id = 0; id < all.length; id++) all[id] = tok.tokenBytes(id);
    return new VocabTrie(all);
  }

  /** A trie of the given token byte strings (tests). */
  static VocabTrie of(byte[][] tokenBytes) {
    return new VocabTrie(tokenBytes);
  }

  int size() {
    return bytes.length;
  }
}
