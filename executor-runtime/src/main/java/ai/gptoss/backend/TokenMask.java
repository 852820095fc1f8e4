package ai.gptoss.backend;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The tokens a row may sample: a bitset over the vocabulary (bit {@code t % 64} of word {@code t / 64}
 * set = token {@code t} allowed). Samplers give every other token a logit of minus infinity before
 * greedy, temperature, top-k and top-p. Immutable by convention; each mask has a process-unique
 * {@link #id()}, so a backend can upload it once and refer to it by id afterwards.
 */
public final class TokenMask {
  private static final AtomicLong IDS = new AtomicLong();

  private final long id = IDS.incrementAndGet();
  private final long[] bits;
  private final int vocab;
  private final int allowed;

  /** Takes ownership of {@code bits} (do not change it afterwards). */
  public TokenMask(long[] bits, int vocab) {
    if (bits.length != words(vocab)) throw new IllegalArgumentException(bits.length + " words for a vocabulary of " + vocab);
    this.bits = bits;
    this.vocab = vocab;
    int n = 0;
    for (long w : bits) n += Long.bitCount(w);
    this.allowed = n;
    if (n == 0) throw new IllegalArgumentException("a token mask must allow at least one token");
  }

  public static int words(int vocab) {
    return (vocab + 63) >>> 6;
  }

  public long id() {
    return id;
  }

  public int vocab() {
    return vocab;
  }

  /** How many tokens the mask allows. */
  public int allowedCount() {
    return allowed;
  }

  public boolean allows(int token) {
    return token >= 0 && token < vocab && (bits[token >>> 6] & (1L << token)) != 0;
  }

  /** The bitset itself (not a copy: read only). */
  public long[] bits() {
    return bits;
  }

  /** Sets every disallowed logit to minus infinity, in place. */
  public void apply(float[] logits) {
    if (logits.length != vocab) throw new IllegalArgumentException(logits.length + " logits for a mask of " + vocab + " tokens");
    for (int w = 0; w < bits.length; w++) {
      long word = bits[w];
      if (word == -1L) continue;
      int base = w << 6;
      int end = Math.min(64, vocab - base);
      for (int b = 0; b < end; b++) if ((word & (1L << b)) == 0) logits[base + b] = Float.NEGATIVE_INFINITY;
    }
  }
}
