package ai.gptoss.cli;

import java.util.Random;

/**
 * The benchmarks' prompts: uniformly random token ids (below the reserved and special ids at 199,990
 * and up), one seed for all, so {@code bench} and the Spark benchmark ({@code spark-bench}) feed
 * exactly the same prompts.
 */
public final class BenchPrompts {
  private BenchPrompts() {}

  /** {@code n} prompts of {@code inputLen} ids drawn from {@code [0, min(vocabSize, 199990))}. */
  public static int[][] random(int vocabSize, int n, int inputLen, long seed) {
    Random rnd = new Random(seed);
    int vocab = Math.min(vocabSize, 199990);
    int[][] prompts = new int[n][inputLen];
    for (int[] p : prompts) for (int j = 0; j < inputLen; j++) p[j] = rnd.nextInt(vocab);
    return prompts;
  }
}
