package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The sampler against a deliberately naive twin that sorts every token id: same tokens for random
 * logits (ties included), temperatures, top-k, top-p and seeds.
 */
class SamplerTest {
  @Property(tries = 300)
  void sameTokensAsAFullSort(@ForAll @IntRange(min = 1, max = 3000) int n, @ForAll long logitSeed,
      @ForAll @FloatRange(min = 0.05f, max = 3f) float temperature, @ForAll @IntRange(min = 0, max = 60) int topK,
      @ForAll @FloatRange(min = 0.01f, max = 1f) float topP, @ForAll long seed, @ForAll @IntRange(min = 0, max = 99) int counter) {
    Random r = new Random(logitSeed);
    float[] logits = new float[n];
    float scale = 1 + r.nextInt(20);
    for (int i = 0; i < n; i++) logits[i] = r.nextInt(4) == 0 ? Math.round(r.nextGaussian() * 3) : (float) r.nextGaussian() * scale;
    SamplingParams p = new SamplingParams(temperature, topP, topK, seed, counter);
    assertEquals(naive(logits, p), Sampler.sample(logits, p), () -> "params " + p + " n " + n);
  }

  @Test
  void greedyTakesTheLowestIdOfTiedMaxima() {
    assertEquals(1, Sampler.sample(new float[] {0f, 5f, 5f, 1f}, SamplingParams.greedy()));
  }

  @Test
  void topKOneIsGreedyAndSeedsChangeDraws() {
    float[] logits = new float[1000];
    Random r = new Random(3);
    for (int i = 0; i < logits.length; i++) logits[i] = (float) r.nextGaussian();
    assertEquals(Sampler.argmax(logits), Sampler.sample(logits, new SamplingParams(1f, 1f, 1, 9, 0)));
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (long s = 0; s < 50; s++) seen.add(Sampler.sample(logits, new SamplingParams(1f, 0.9f, 0, s, 0)));
    assertTrue(seen.size() > 10, "50 seeds drew only " + seen.size() + " distinct tokens");
  }

  /** The rules of {@link Sampler}'s documentation, with a full sort of boxed ids. */
  static int naive(float[] logits, SamplingParams p) {
    int n = logits.length;
    if (p.isGreedy()) return Sampler.argmax(logits);
    float invT = 1f / p.temperature();
    double u = Sampler.uniform(p.seed(), p.counter());
    float max = Float.NEGATIVE_INFINITY;
    for (float l : logits) max = Math.max(max, l);
    int topK = p.topK() > 0 && p.topK() < n ? p.topK() : 0;
    if (topK == 0 && p.topP() >= 1f) {
      double total = 0;
      for (float l : logits) total += Math.exp((l - max) * invT);
      double target = u * total, acc = 0;
      for (int i = 0; i < n; i++) {
        acc += Math.exp((logits[i] - max) * invT);
        if (acc > target) return i;
      }
      return n - 1;
    }
    Integer[] idx = new Integer[n];
    for (int i = 0; i < n; i++) idx[i] = i;
    Arrays.sort(idx, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i));
    int k = topK > 0 ? topK : n;
    double[] w = new double[k];
    double total = 0;
    if (topK > 0) {
      for (int j = 0; j < k; j++) total += w[j] = Math.exp((logits[idx[j]] - max) * invT);
    } else {
      for (float l : logits) total += Math.exp((l - max) * invT);
      for (int j = 0; j < k; j++) w[j] = Math.exp((logits[idx[j]] - max) * invT);
    }
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
      if (acc > target) return idx[j];
    }
    return idx[k - 1];
  }
}
