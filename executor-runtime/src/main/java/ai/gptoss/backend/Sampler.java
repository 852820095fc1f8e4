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

  /**
   * Samples from the tokens {@code mask} allows (null: all): the others' logits become minus infinity,
   * in place, before greedy, temperature, top-k and top-p.
   */
  public static int sample(float[] logits, SamplingParams p, TokenMask mask) {
    if (mask != null) mask.apply(logits);
    return sample(logits, p);
  }

  public static int sample(float[] logits, SamplingParams p) {
    if (p.isGreedy()) return argmax(logits);
    int n = logits.length;
    float invT = 1f / p.temperature();
    double u = uniform(p.seed(), p.counter());
    float max = Float.NEGATIVE_INFINITY;
    for (float l : logits) max = Math.max(max, l);
    int topK = p.topK() > 0 && p.topK() < n ? p.topK() : 0;
    int[] order;
    double[] w;
    double total = 0;
    if (topK > 0) {
      order = Arrays.copyOf(topByLogit(logits, max, topK), topK);
      w = new double[topK];
      for (int j = 0; j < topK; j++) total += w[j] = weight(logits[order[j]], max, invT);
    } else {
      double[] all = new double[n]; // each token's weight, computed once
      for (int i = 0; i < n; i++) total += all[i] = weight(logits[i], max, invT);
      if (p.topP() >= 1f) {
        double target = u * total, acc = 0;
        for (int i = 0; i < n; i++) {
          acc += all[i];
          if (acc > target) return i;
        }
        return lastNonZero(all);
      }
      order = topByWeight(logits, all, p.topP() * total);
      w = new double[order.length];
      for (int j = 0; j < order.length; j++) w[j] = all[order[j]];
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

  private static double weight(float logit, float max, float invT) {
    return Math.exp((logit - max) * invT);
  }

  /**
   * The first tokens of the descending-logit order (ties: lower id first), at least {@code k} of
   * them. Only tokens within a logit gap of the maximum are sorted; the gap widens until enough
   * qualify, so the result is a prefix of a full sort.
   */
  private static int[] topByLogit(float[] logits, float max, int k) {
    for (float gap : GAPS) {
      float threshold = max - gap;
      int count = 0;
      for (float l : logits) if (l >= threshold) count++;
      if (count >= k || gap == Float.POSITIVE_INFINITY) return sortedWhere(logits, count, i -> logits[i] >= threshold);
    }
    throw new IllegalStateException("unreachable");
  }

  /**
   * The first tokens of the descending-logit order holding at least {@code minMass} of the weights.
   * A weight threshold picks a prefix of that order (weights grow with logits); it drops until the
   * prefix holds enough mass, so only the nucleus and its near neighbours are sorted.
   */
  private static int[] topByWeight(float[] logits, double[] weights, double minMass) {
    for (float gap : GAPS) {
      double threshold = gap == Float.POSITIVE_INFINITY ? 0 : Math.exp(-gap);
      int count = 0;
      double mass = 0;
      for (double wt : weights) {
        if (wt >= threshold) {
          count++;
          mass += wt;
        }
      }
      if (mass >= minMass || threshold == 0) return sortedWhere(logits, count, i -> weights[i] >= threshold);
    }
    throw new IllegalStateException("unreachable");
  }

  private static final float[] GAPS = {8f, 32f, 128f, Float.POSITIVE_INFINITY};

  /** The {@code count} ids that pass {@code keep}, sorted by descending logit, ties by lower id. */
  private static int[] sortedWhere(float[] logits, int count, java.util.function.IntPredicate keep) {
    long[] keys = new long[count];
    int c = 0;
    for (int i = 0; i < logits.length; i++) {
      if (keep.test(i)) keys[c++] = ((long) ~orderedBits(logits[i]) << 32) | i;
    }
    Arrays.sort(keys);
    int[] ids = new int[count];
    for (int j = 0; j < count; j++) ids[j] = (int) keys[j];
    return ids;
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
