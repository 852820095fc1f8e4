package ai.gptoss.backend.cpu;

import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.YarnRope;
import java.util.stream.IntStream;

/**
 * Grouped-query attention with sinks over the paged KV cache. Query at position p sees keys at
 * {@code [p - window + 1, p]} on sliding layers (the current token and the window-1 before it) and
 * {@code [0, p]} on full layers. Each head has a learned sink logit: one extra softmax column that
 * is dropped before multiplying by V.
 */
public final class CpuAttention {
  private CpuAttention() {}

  /**
   * One layer's attention weights for the heads a backend computes (all, or one rank's): the q rows of its query
   * heads, the k and v rows of its K/V heads, with biases, and its heads' sinks.
   */
  public record Weights(float[] qProj, float[] qBias, float[] kProj, float[] kBias, float[] vProj, float[] vBias,
      float[] sinks) {}

  /**
   * A layer's attention up to the output projection: q, k and v of the normed hidden states {@code h} ([tokens,
   * hid]), YaRN on q and k, the new K and V stored, then {@link #attend} of {@code heads} query heads over
   * {@code kvHeads} K/V heads into {@code attn} ([tokens, heads*headDim]).
   */
  public static void forward(StepBatch batch, float[] h, int hid, Weights w, int heads, int kvHeads, int headDim,
      YarnRope rope, CpuKvCache cache, int layerOfType, boolean sliding, int window, float[] attn) {
    int tokens = batch.numTokens(), qDim = heads * headDim, kvDim = kvHeads * headDim;
    float[] q = new float[tokens * qDim], k = new float[tokens * kvDim], v = new float[tokens * kvDim];
    Matmul.linear(h, tokens, hid, w.qProj(), w.qBias(), qDim, q);
    Matmul.linear(h, tokens, hid, w.kProj(), w.kBias(), kvDim, k);
    Matmul.linear(h, tokens, hid, w.vProj(), w.vBias(), kvDim, v);
    for (int t = 0; t < tokens; t++) {
      int pos = batch.positions()[t];
      rope.apply(q, t * qDim, heads, pos);
      rope.apply(k, t * kvDim, kvHeads, pos);
    }
    store(batch, k, v, cache, layerOfType, sliding, kvDim);
    attend(batch, q, cache, layerOfType, sliding, window, heads, kvHeads, headDim, w.sinks(), attn);
  }

  /**
   * @param q [tokens, heads*headDim] rotated queries
   * @param out [tokens, heads*headDim] written
   * @param window sliding window in tokens, or 0 for full attention
   */
  public static void attend(StepBatch batch, float[] q, CpuKvCache cache, int layerOfType, boolean sliding, int window,
      int heads, int kvHeads, int headDim, float[] sinks, float[] out) {
    int tokens = batch.numTokens();
    int group = heads / kvHeads;
    int kvDim = kvHeads * headDim;
    float scale = (float) (1.0 / Math.sqrt(headDim));
    IntStream.range(0, tokens * heads).parallel().forEach(th -> {
      int t = th / heads, h = th % heads, kvh = h / group;
      int s = batch.seqOf(t);
      int[] table = sliding ? batch.slidingPages()[s] : batch.fullPages()[s];
      int pos = batch.positions()[t];
      int first = sliding ? Math.max(0, pos - window + 1) : 0;
      int n = pos - first + 1;
      float[] scores = new float[n];
      int qOff = t * heads * headDim + h * headDim;
      float max = sinks[h];
      for (int j = 0; j < n; j++) {
        int kp = first + j;
        float[] page = cache.page(table, kp, false);
        int kOff = cache.offset(layerOfType, 0, kp) + kvh * headDim;
        scores[j] = Matmul.dot(q, qOff, page, kOff, headDim) * scale;
        max = Math.max(max, scores[j]);
      }
      float denom = (float) Math.exp(sinks[h] - max);
      for (int j = 0; j < n; j++) {
        scores[j] = (float) Math.exp(scores[j] - max);
        denom += scores[j];
      }
      int oOff = t * heads * headDim + h * headDim;
      for (int d = 0; d < headDim; d++) out[oOff + d] = 0f;
      for (int j = 0; j < n; j++) {
        int kp = first + j;
        float[] page = cache.page(table, kp, false);
        int vOff = cache.offset(layerOfType, 1, kp) + kvh * headDim;
        float p = scores[j] / denom;
        for (int d = 0; d < headDim; d++) out[oOff + d] += p * page[vOff + d];
      }
    });
  }

  /** Writes the step's new K and V ([tokens, kvDim] each) into their pages. */
  public static void store(StepBatch batch, float[] k, float[] v, CpuKvCache cache, int layerOfType, boolean sliding, int kvDim) {
    for (int t = 0; t < batch.numTokens(); t++) {
      int s = batch.seqOf(t);
      int[] table = sliding ? batch.slidingPages()[s] : batch.fullPages()[s];
      int pos = batch.positions()[t];
      float[] page = cache.page(table, pos, true);
      cache.write(k, t * kvDim, page, cache.offset(layerOfType, 0, pos), kvDim);
      cache.write(v, t * kvDim, page, cache.offset(layerOfType, 1, pos), kvDim);
    }
  }
}
