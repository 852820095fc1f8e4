package ai.gptoss.backend.cuda;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Several sequences prefilled together, then decoding one token each per step: the steps CUDA
 * graphs are for. Pages are interleaved across sequences (page j of sequence s is j*S+s), page
 * tables grow with the context as the engine's do, sliding-window pages that left the window are -1,
 * and the sequences sample differently (greedy, temperature + top-p, top-k, each with its own seed).
 * Sequence s stops after {@code newTokens[s]} steps, so the batch shrinks.
 */
final class DecodeStream {
  final int page, seqs;
  private final Backend b;
  private final int window;
  private final int[][] prompts;
  private final int[] newTokens, len, last, generated;

  DecodeStream(Backend b, int[] promptLens, int[] newTokens, int page, long seed) {
    this.b = b;
    this.page = page;
    this.seqs = promptLens.length;
    this.newTokens = newTokens;
    this.window = b.config().slidingWindow();
    Random rnd = new Random(seed);
    prompts = new int[seqs][];
    int maxLen = 0;
    for (int s = 0; s < seqs; s++) {
      prompts[s] = new int[promptLens[s]];
      for (int i = 0; i < promptLens[s]; i++) prompts[s][i] = rnd.nextInt(Math.min(b.config().vocabSize(), 199990));
      maxLen = Math.max(maxLen, promptLens[s] + newTokens[s] + 1);
    }
    int pages = (maxLen + page - 1) / page;
    b.allocateKvCache(new KvCacheSpec(page, pages * seqs, pages * seqs));
    len = new int[seqs];
    last = new int[seqs];
    generated = new int[seqs];
  }

  SamplingParams sampling(int s) {
    return switch (s % 3) {
      case 0 -> SamplingParams.greedy();
      case 1 -> new SamplingParams(0.8f, 0.9f, 0, 1000L + s, generated[s]);
      default -> new SamplingParams(1.0f, 1f, 5, 2000L + s, generated[s]);
    };
  }

  /** Every prompt in one step (eager: it is no decode step); the first sampled token of each. */
  void prefill() {
    List<Integer> tokens = new ArrayList<>(), positions = new ArrayList<>();
    int[] start = new int[seqs + 1], rows = new int[seqs];
    int[][] full = new int[seqs][], sliding = new int[seqs][];
    SamplingParams[] sp = new SamplingParams[seqs];
    for (int s = 0; s < seqs; s++) {
      start[s] = tokens.size();
      for (int i = 0; i < prompts[s].length; i++) {
        tokens.add(prompts[s][i]);
        positions.add(i);
      }
      rows[s] = tokens.size() - 1;
      full[s] = table(s, 0, prompts[s].length - 1, false);
      sliding[s] = table(s, 0, prompts[s].length - 1, true);
      sp[s] = sampling(s);
    }
    start[seqs] = tokens.size();
    StepResult r = b.step(new StepBatch(ints(tokens), ints(positions), start, full, sliding, rows, sp, false));
    for (int s = 0; s < seqs; s++) {
      last[s] = r.sampled()[s];
      len[s] = prompts[s].length;
    }
  }

  /** The sequences still generating. */
  int[] active() {
    List<Integer> a = new ArrayList<>();
    for (int s = 0; s < seqs; s++) if (generated[s] < newTokens[s]) a.add(s);
    return ints(a);
  }

  /** One decode token of each active sequence. */
  StepBatch next(boolean logits) {
    int[] act = active();
    int n = act.length;
    int[] tokens = new int[n], positions = new int[n], start = new int[n + 1], rows = new int[n];
    int[][] full = new int[n][], sliding = new int[n][];
    SamplingParams[] sp = new SamplingParams[n];
    for (int i = 0; i < n; i++) {
      int s = act[i];
      tokens[i] = last[s];
      positions[i] = len[s];
      start[i + 1] = i + 1;
      rows[i] = i;
      full[i] = table(s, len[s], len[s], false);
      sliding[i] = table(s, len[s], len[s], true);
      sp[i] = sampling(s);
    }
    return new StepBatch(tokens, positions, start, full, sliding, rows, sp, logits);
  }

  /** After {@link #next}'s step: the sampled ids become the next tokens. */
  void advance(int[] sampled) {
    int[] act = active();
    for (int i = 0; i < act.length; i++) {
      int s = act[i];
      last[s] = sampled[i];
      len[s]++;
      generated[s]++;
    }
  }

  /** Pages up to {@code lastPos}; sliding pages every token from {@code firstPos} on has left are -1. */
  private int[] table(int s, int firstPos, int lastPos, boolean sliding) {
    int[] t = new int[lastPos / page + 1];
    for (int j = 0; j < t.length; j++) {
      boolean gone = sliding && (long) (j + 1) * page <= firstPos - window + 1;
      t[j] = gone ? -1 : j * seqs + s;
    }
    return t;
  }

  /**
   * The metadata of one decode step, no backend needed: {@code seqs} sequences each decoding one
   * token at {@code position}, pages of 16 tokens (graph-cache tests).
   */
  static StepMetadata metadata(int seqs, int position, boolean pad) {
    int[] tokens = new int[seqs], positions = new int[seqs], start = new int[seqs + 1], rows = new int[seqs];
    int[][] tables = new int[seqs][];
    SamplingParams[] sp = new SamplingParams[seqs];
    for (int s = 0; s < seqs; s++) {
      tokens[s] = 7 + s % 900; // inside the vocabulary of 1,000 whatever the batch
      positions[s] = position;
      start[s + 1] = s + 1;
      rows[s] = s;
      tables[s] = new int[position / 16 + 1];
      for (int j = 0; j < tables[s].length; j++) tables[s][j] = s * 100 + j;
      sp[s] = SamplingParams.greedy();
    }
    return new StepMetadata(new StepBatch(tokens, positions, start, tables, tables, rows, sp, false), 1000, 4, 1 << 20,
        1 << 20, pad);
  }

  static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  @Override
  public String toString() {
    return seqs + " sequences, prompts " + Arrays.toString(Arrays.stream(prompts).mapToInt(p -> p.length).toArray())
        + ", new tokens " + Arrays.toString(newTokens) + ", page " + page;
  }
}
