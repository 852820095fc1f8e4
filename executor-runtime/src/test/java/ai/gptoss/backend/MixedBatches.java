package ai.gptoss.backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A reproducible stream of mixed steps for comparing backends: several sequences with random
 * prompts, fed in random prefill chunks interleaved with other sequences' decode tokens, on
 * shuffled KV pages, with sliding-window pages released as they leave the window. Two backends
 * given the same seed see identical {@link StepBatch}es.
 */
public final class MixedBatches {
  /** Every step's sampled ids and output-row logits, in order. */
  /**
   * @param rowSeq per step and output row: the sequence, or -1-seq for a teacher-forced row that
   *     does not feed the next token
   * @param rowPos per step and output row: the position of the row's token
   * @param fedTokens per sequence: every token fed, in position order
   */
  public record Trace(List<int[]> sampled, List<float[][]> logits, List<int[]> rowSeq, List<int[]> rowPos,
      List<List<Integer>> fedTokens, List<String> stepShapes) {}

  private MixedBatches() {}

  /**
   * Runs the stream; with {@code forced}, generated tokens are taken from that earlier trace of the
   * same seed (so two backends see identical inputs even where their greedy choices differ).
   */
  public static Trace run(Backend b, KvCacheDtype kv, long seed, int numSeqs, int maxPrompt, int newTokens, Trace forced) {
    Random rnd = new Random(seed);
    int page = 4 + rnd.nextInt(13);
    // the FP8 KV cache runs only on tensor-core attention, which takes 16-token pages
    if (kv == KvCacheDtype.FP8) page = 16;
    int window = b.config().slidingWindow();
    int vocab = b.config().vocabSize();
    int maxLen = maxPrompt + newTokens;
    int pagesPerSeq = (maxLen + page - 1) / page;
    int poolPages = numSeqs * pagesPerSeq;
    b.allocateKvCache(new KvCacheSpec(page, poolPages, poolPages));
    List<Integer> fullIds = shuffled(poolPages, rnd), slidingIds = shuffled(poolPages, rnd);
    int[][] full = new int[numSeqs][], sliding = new int[numSeqs][];
    int[][] prompt = new int[numSeqs][];
    int[] fed = new int[numSeqs], generated = new int[numSeqs], last = new int[numSeqs];
    for (int s = 0; s < numSeqs; s++) {
      full[s] = new int[pagesPerSeq];
      sliding[s] = new int[pagesPerSeq];
      for (int j = 0; j < pagesPerSeq; j++) {
        full[s][j] = fullIds.get(s * pagesPerSeq + j);
        sliding[s][j] = slidingIds.get(s * pagesPerSeq + j);
      }
      prompt[s] = new int[1 + rnd.nextInt(maxPrompt)];
      for (int i = 0; i < prompt[s].length; i++) prompt[s][i] = rnd.nextInt(vocab);
    }
    List<int[]> sampledAll = new ArrayList<>();
    List<float[][]> logitsAll = new ArrayList<>();
    List<int[]> rowSeqAll = new ArrayList<>(), rowPosAll = new ArrayList<>();
    List<List<Integer>> fedTokens = new ArrayList<>();
    List<String> shapes = new ArrayList<>();
    for (int s = 0; s < numSeqs; s++) fedTokens.add(new ArrayList<>());
    int step = 0;
    while (true) {
      List<Integer> seqs = new ArrayList<>(), counts = new ArrayList<>();
      for (int s = 0; s < numSeqs; s++) {
        if (generated[s] >= newTokens || rnd.nextInt(4) == 0) continue; // some sequences sit out a step
        int left = prompt[s].length - fed[s];
        seqs.add(s);
        counts.add(left > 0 ? 1 + rnd.nextInt(left) : 1);
      }
      boolean done = true;
      for (int s = 0; s < numSeqs; s++) done &= generated[s] >= newTokens;
      if (done) break;
      if (seqs.isEmpty()) continue;
      int n = counts.stream().mapToInt(Integer::intValue).sum();
      int[] tokens = new int[n], positions = new int[n], seqStart = new int[seqs.size() + 1];
      int[][] ft = new int[seqs.size()][], st = new int[seqs.size()][];
      List<Integer> rows = new ArrayList<>();
      List<Integer> rowSeq = new ArrayList<>(), rowPos = new ArrayList<>();
      int t = 0;
      for (int i = 0; i < seqs.size(); i++) {
        int s = seqs.get(i), c = counts.get(i);
        seqStart[i] = t;
        int pos0 = fed[s];
        int[] sl = sliding[s].clone();
        for (int j = 0; j < sl.length; j++) if ((long) (j + 1) * page <= pos0 - window + 1) sl[j] = -1;
        for (int q = 0; q < c; q++) {
          int pos = pos0 + q;
          tokens[t] = pos < prompt[s].length ? prompt[s][pos] : last[s];
          positions[t] = pos;
          fedTokens.get(s).add(tokens[t]);
          if (pos >= prompt[s].length - 1 || rnd.nextInt(3) == 0) {
            rows.add(t);
            rowSeq.add(pos >= prompt[s].length - 1 ? s : -1 - s); // negative: a teacher-forced row only
            rowPos.add(pos);
          }
          t++;
        }
        ft[i] = Arrays.copyOf(full[s], (pos0 + c - 1) / page + 1);
        st[i] = Arrays.copyOf(sl, (pos0 + c - 1) / page + 1);
        fed[s] += c;
      }
      seqStart[seqs.size()] = t;
      int[] outRows = rows.stream().mapToInt(Integer::intValue).toArray();
      shapes.add("page " + page + " tokens " + n + " seqs " + seqs + " counts " + counts);
      SamplingParams[] sp = new SamplingParams[outRows.length];
      Arrays.fill(sp, SamplingParams.greedy());
      StepResult r = b.step(new StepBatch(tokens, positions, seqStart, ft, st, outRows, sp, true));
      int[] next = forced != null ? forced.sampled().get(step) : r.sampled();
      for (int i = 0; i < outRows.length; i++) {
        int s = rowSeq.get(i);
        if (s >= 0) {
          last[s] = next[i];
          generated[s]++;
        }
      }
      step++;
      sampledAll.add(r.sampled());
      logitsAll.add(r.logits());
      rowSeqAll.add(rowSeq.stream().mapToInt(Integer::intValue).toArray());
      rowPosAll.add(rowPos.stream().mapToInt(Integer::intValue).toArray());
    }
    return new Trace(sampledAll, logitsAll, rowSeqAll, rowPosAll, fedTokens, shapes);
  }

  private static List<Integer> shuffled(int n, Random rnd) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) ids.add(i);
    java.util.Collections.shuffle(ids, rnd);
    return ids;
  }
}
