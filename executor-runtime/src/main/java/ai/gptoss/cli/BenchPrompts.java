package ai.gptoss.cli;

import java.util.Arrays;
import java.util.Random;

/**
 * The benchmarks' prompts: uniformly random token ids (below the reserved and special ids at 199,990
 * and up), one seed for all, so {@code bench} and the Spark benchmark ({@code spark-bench}) feed
 * exactly the same prompts.
 */
public final class BenchPrompts {
  private BenchPrompts() {}

  /**
   * The input and output length of each prompt of a workload.
   *
   * @param input prompt tokens of each request
   * @param output tokens each request generates (EOS ignored)
   */
  public record Lengths(int[] input, int[] output) {
    public Lengths {
      if (input.length != output.length) throw new IllegalArgumentException(input.length + " input lengths, " + output.length + " output lengths");
    }

    /** {@code n} requests of {@code inputLen} tokens in, {@code outputLen} out. */
    public static Lengths fixed(int n, int inputLen, int outputLen) {
      int[] in = new int[n], out = new int[n];
      Arrays.fill(in, inputLen);
      Arrays.fill(out, outputLen);
      return new Lengths(in, out);
    }

    /**
     * vLLM's {@code --random-range-ratio r} (its random dataset): each request's input length drawn uniformly from the
     * integers of [int(L (1 - r)), int(L (1 + r))], its output length likewise around M, both at least 1; seeded, so a
     * seed gives the same lengths every run. {@code r = 0} gives {@link #fixed}.
     */
    public static Lengths drawn(int n, int inputLen, int outputLen, double r, long seed) {
      if (!(r >= 0 && r < 1)) throw new IllegalArgumentException("--random-range-ratio must be in [0, 1), got " + r);
      Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + 0x7F4A7C15L); // apart from the prompts' token stream
      int[] in = new int[n], out = new int[n];
      for (int i = 0; i < n; i++) {
        in[i] = uniform(rnd, inputLen, r);
        out[i] = uniform(rnd, outputLen, r);
      }
      return new Lengths(in, out);
    }

    private static int uniform(Random rnd, int len, double r) {
      int low = Math.max(1, (int) (len * (1 - r))), high = Math.max(low, (int) (len * (1 + r)));
      return low + rnd.nextInt(high - low + 1);
    }

    public int count() {
      return input.length;
    }

    public long inputTokens() {
      return Arrays.stream(input).asLongStream().sum();
    }

    public long outputTokens() {
      return Arrays.stream(output).asLongStream().sum();
    }

    /** Whether every request generates one token: the run is prefill alone. */
    public boolean prefillOnly() {
      return Arrays.stream(output).allMatch(m -> m == 1);
    }
  }

  /** {@code n} prompts of {@code inputLen} ids drawn from {@code [0, min(vocabSize, 199990))}. */
  public static int[][] random(int vocabSize, int n, int inputLen, long seed) {
    return random(vocabSize, Lengths.fixed(n, inputLen, 1).input(), seed);
  }

  /** One prompt per length, ids drawn as {@link #random(int, int, int, long)} draws them (equal lengths: equal prompts). */
  public static int[][] random(int vocabSize, int[] lengths, long seed) {
    Random rnd = new Random(seed);
    int vocab = Math.min(vocabSize, 199990);
    int[][] prompts = new int[lengths.length][];
    for (int i = 0; i < lengths.length; i++) {
      prompts[i] = new int[lengths[i]];
      for (int j = 0; j < lengths[i]; j++) prompts[i][j] = rnd.nextInt(vocab);
    }
    return prompts;
  }
}
