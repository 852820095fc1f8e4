package ai.gptoss.backend;

import java.util.Arrays;

/**
 * The reference sampler: greedy, temperature, top-k and top-p, with a counter-based random draw so
 * that a seeded request's tokens do not depend on its batch. The CUDA sampling kernel implements the
 * same rules.
 *
 * <p>The draw for generated token n of a request with seed s is {@link #uniform(long, int)}: the top
 * 24 bits of SplitMix64(s XOR SplitMix64(n + 1)), scaled to [0, 1).
 *
 * <p>Order of candidates: without top-k and top-p, token ids in ascending order; with either, tokens
 * by descending probability (ties: lower id first). The sampled token is the first candidate whose
 * cumulative probability exceeds u times the candidates' total.
 */
public final class Sampler {
  private Sampler() {}

  public static int sample(float[] logits, SamplingParams p) {
    if (p.isGreedy()) return argmax(logits);
    int n = logits.length;
    float invT = 1f / p.temperature();
    double u = uniform(p.seed(), p.counter());
    boolean truncate = (p.topK() > 0 && p.topK() < n) || p.topP() < 1f;
    float max = Float.NEGATIVE_INFINITY;
    for (float l : logits) max = Math.max(max, l);
    if (!truncate) {
      double total = 0;
      double[] w = new double[n];
      for (int i = 0; i < n; i++) {
        w[i] = Math.exp((logits[i] - max) * invT);
        total += w[i];
      }
      double target = u * total, acc = 0;
      for (int i = 0; i < n; i++) {
        acc += w[i];
        if (acc > target) return i;
      }
      return lastNonZero(w);
    }
    int topK = p.topK() > 0 && p.topK() < n ? p.topK() : 0;
    double[] w;
    int[] order;
    double total = 0;
    if (topK > 0) {
      order = Arrays.copyOf(sortedFrom(logits, max, topK, 0, 0), topK);
      w = new double[topK];
      for (int j = 0; j < topK; j++) total += w[j] = Math.exp((logits[order[j]] - max) * invT);
    } else {
      for (float l : logits) total += Math.exp((l - max) * invT);
      // Only the nucleus needs sorting: candidates above a threshold whose mass already reaches it.
      order = sortedFrom(logits, max, 0, invT, p.topP() * total);
      w = new double[order.length];
      for (int j = 0; j < order.length; j++) w[j] = Math.exp((logits[order[j]] - max) * invT);
    }
    int k = order.length;
    if (p.topP() < 1f) {
      double acc = 0;
      int keep = k;
      for (int j = 0; j < k; j++) {
        acc += w[j];
        if (acc >= p.topP() * total) {
          keep = j + 1;
          break;
        }
      }
      k = keep;
      total = 0;
      for (int j = 0; j < k; j++) total += w[j];
    }
    double target = u * total, acc = 0;
    for (int j = 0; j < k; j++) {
      acc += w[j];
      if (acc > target) return order[j];
    }
    return order[k - 1];
  }

  /**
   * A prefix of the token ids sorted by descending logit (ties: lower id first), long enough to hold
   * the top {@code minCount} tokens, or tokens of probability mass at least {@code minMass} (weights
   * {@code exp((l - max) * invT)}). Only tokens above a threshold are sorted; the threshold drops until
   * the prefix is long enough, so the result equals the same prefix of a full sort.
   */
  private static int[] sortedFrom(float[] logits, float max, int minCount, float invT, double minMass) {
    for (float gap : new float[] {8f, 32f, 128f, Float.POSITIVE_INFINITY}) {
      float threshold = max - gap / Math.max(invT, 1e-6f);
      if (minCount > 0) threshold = max - gap;
      int count = 0;
      double mass = 0;
      for (float l : logits) {
        if (l >= threshold) {
          count++;
          if (minCount == 0) mass += Math.exp((l - max) * invT);
        }
      }
      boolean enough = minCount > 0 ? count >= minCount : mass >= minMass;
      if (!enough && gap != Float.POSITIVE_INFINITY) continue;
      long[] keys = new long[count];
      int c = 0;
      for (int i = 0; i < logits.length; i++) {
        if (logits[i] >= threshold) keys[c++] = ((long) ~orderedBits(logits[i]) << 32) | i;
      }
      Arrays.sort(keys);
      int[] ids = new int[count];
      for (int j = 0; j < count; j++) ids[j] = (int) keys[j];
      return ids;
    }
    throw new IllegalStateException("unreachable");
  }

  /** Float bits as an int that orders like the float (for finite values and infinities). */
  private static int orderedBits(float f) {
    int b = Float.floatToIntBits(f);
    return b ^ ((b >> 31) & 0x7fffffff);
  }

  private static int lastNonZero(double[] w) {
    for (int i = w.length - 1; i >= 0; i--) if (w[i] > 0) return i;
    return 0;
  }

  /** Index of the largest logit; the lowest index wins ties. */
  public static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }

  /** The random draw in [0, 1) for generated token {@code counter} of a request seeded {@code seed}. */
  public static double uniform(long seed, int counter) {
    long z = splitMix64(seed ^ splitMix64(counter + 1L));
    return (z >>> 40) * 0x1.0p-24;
  }

  public static long splitMix64(long x) {
    long z = x + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
