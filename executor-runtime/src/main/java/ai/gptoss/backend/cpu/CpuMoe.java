package ai.gptoss.backend.cpu;

import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import ai.gptoss.model.Mxfp4;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The mixture-of-experts block: router (top-k of E logits, softmax over the chosen k), then each
 * chosen expert's MXFP4 MLP with gpt-oss's clamped SwiGLU, weighted and summed.
 *
 * <p>Tokens are grouped by expert so that each expert's weights are unpacked from MXFP4 once per step
 * and used for all its tokens. Unpacking happens 32 values at a time inside the product; no
 * dequantized copy of a weight matrix is ever made.
 */
final class CpuMoe {
  private static final float ALPHA = 1.702f;
  private static final int ROWS_PER_TASK = 16;

  private CpuMoe() {}

  /** Router choice for one token. */
  record Route(int[] experts, float[] weights) {}

  /** Top-k routing: ties broken by the lower expert index; softmax over the chosen logits only. */
  static Route route(float[] logits, int off, int experts, int k) {
    int[] idx = new int[k];
    float[] val = new float[k];
    boolean[] taken = new boolean[experts];
    for (int j = 0; j < k; j++) {
      int best = -1;
      for (int e = 0; e < experts; e++) {
        if (!taken[e] && (best < 0 || logits[off + e] > logits[off + best])) best = e;
      }
      taken[best] = true;
      idx[j] = best;
      val[j] = logits[off + best];
    }
    float max = val[0];
    float sum = 0;
    float[] w = new float[k];
    for (int j = 0; j < k; j++) {
      w[j] = (float) Math.exp(val[j] - max);
      sum += w[j];
    }
    for (int j = 0; j < k; j++) w[j] /= sum;
    return new Route(idx, w);
  }

  /**
   * @param h [tokens, H] post-attention-normed hidden states
   * @param x [tokens, H] residual stream, the expert output is added to it
   */
  static void forward(ModelConfig c, ModelWeights.Layer w, float[] h, int tokens, float[] x) {
    int hid = c.hiddenSize(), inter = c.intermediateSize(), experts = c.numLocalExperts();
    float[] routerLogits = new float[tokens * experts];
    Matmul.linear(h, tokens, hid, w.routerWeight(), w.routerBias(), experts, routerLogits);
    List<List<int[]>> byExpert = new ArrayList<>();
    for (int e = 0; e < experts; e++) byExpert.add(new ArrayList<>());
    Route[] routes = new Route[tokens];
    for (int t = 0; t < tokens; t++) {
      routes[t] = route(routerLogits, t * experts, experts, c.numExpertsPerTok());
      for (int j = 0; j < routes[t].experts().length; j++) byExpert.get(routes[t].experts()[j]).add(new int[] {t, j});
    }
    // out[t][j] = output of the j-th chosen expert of token t; summed in routing order afterwards.
    float[][] out = new float[tokens * c.numExpertsPerTok()][];
    float limit = (float) c.swigluLimit();
    for (int e = 0; e < experts; e++) {
      List<int[]> group = byExpert.get(e);
      if (group.isEmpty()) continue;
      int n = group.size();
      float[] xin = new float[n * hid];
      for (int g = 0; g < n; g++) System.arraycopy(h, group.get(g)[0] * hid, xin, g * hid, hid);
      float[] gateUp = new float[n * 2 * inter];
      mxfp4Linear(xin, n, hid, w.gateUpBlocks(), w.gateUpScales(), (long) e * 2 * inter, w.gateUpBias(), e * 2 * inter,
          2 * inter, gateUp);
      float[] act = new float[n * inter];
      for (int g = 0; g < n; g++) {
        for (int i = 0; i < inter; i++) {
          float gate = Math.min(gateUp[g * 2 * inter + 2 * i], limit);
          float up = Math.max(-limit, Math.min(gateUp[g * 2 * inter + 2 * i + 1], limit));
          float glu = gate * sigmoid(gate * ALPHA);
          act[g * inter + i] = (up + 1f) * glu;
        }
      }
      float[] down = new float[n * hid];
      mxfp4Linear(act, n, inter, w.downBlocks(), w.downScales(), (long) e * hid, w.downBias(), e * hid, hid, down);
      for (int g = 0; g < n; g++) {
        float[] y = new float[hid];
        System.arraycopy(down, g * hid, y, 0, hid);
        out[group.get(g)[0] * c.numExpertsPerTok() + group.get(g)[1]] = y;
      }
    }
    for (int t = 0; t < tokens; t++) {
      for (int j = 0; j < c.numExpertsPerTok(); j++) {
        float[] y = out[t * c.numExpertsPerTok() + j];
        float wt = routes[t].weights()[j];
        for (int i = 0; i < hid; i++) x[t * hid + i] += wt * y[i];
      }
    }
  }

  private static float sigmoid(float v) {
    return (float) (1.0 / (1.0 + Math.exp(-v)));
  }

  /**
   * {@code y = x W^T + b} with W in MXFP4: rows {@code [rowBase, rowBase + out)} of a packed
   * {@code [rows, in/32, 16]} block tensor and its {@code [rows, in/32]} scales.
   */
  static void mxfp4Linear(float[] x, int tokens, int in, byte[] blocks, byte[] scales, long rowBase, float[] bias,
      int biasBase, int out, float[] y) {
    int nb = in / Mxfp4.BLOCK;
    int tasks = (out + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    IntStream.range(0, tasks).parallel().forEach(task -> {
      float[] wv = new float[in];
      int o0 = task * ROWS_PER_TASK, o1 = Math.min(out, o0 + ROWS_PER_TASK);
      for (int o = o0; o < o1; o++) {
        long row = rowBase + o;
        for (int b = 0; b < nb; b++) {
          Mxfp4.decodeBlock(blocks, (row * nb + b) * Mxfp4.BYTES_PER_BLOCK, scales[Math.toIntExact(row * nb + b)], wv,
              b * Mxfp4.BLOCK);
        }
        Matmul.rowTimesTokens(x, tokens, in, wv, 0, bias[biasBase + o], y, out, o);
      }
    });
  }
}
