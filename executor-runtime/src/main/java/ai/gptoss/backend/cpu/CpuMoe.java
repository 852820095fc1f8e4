package ai.gptoss.backend.cpu;

import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import ai.gptoss.model.Mxfp4;
import java.util.ArrayList;
import java.util.Arrays;
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
public final class CpuMoe {
  private static final float ALPHA = 1.702f;
  private static final int ROWS_PER_TASK = 16;

  private CpuMoe() {}

  /** Router choice for one token. */
  public record Route(int[] experts, float[] weights) {}

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
   * The expert weights a backend holds for one layer: experts {@code [first, first + count)}, each with {@code inter}
   * intermediate columns (all of them, or one tensor-parallel rank's share), MXFP4-packed as on disk: gate_up
   * {@code [count, 2*inter, hidden/32, 16]} (gate and up interleaved), down {@code [count, hidden, inter/32, 16]}.
   *
   * @param downBias {@code [count, hidden]}, or null where it is not added (a tensor-parallel rank other than the
   *     first: the bias of a row-parallel product is added once)
   */
  public record Experts(int first, int count, int hidden, int inter, byte[] gateUpBlocks, byte[] gateUpScales,
      float[] gateUpBias, byte[] downBlocks, byte[] downScales, float[] downBias) {
    /** All experts of a layer, whole. */
    public static Experts of(ModelConfig c, ModelWeights.Layer w) {
      return new Experts(0, c.numLocalExperts(), c.hiddenSize(), c.intermediateSize(), w.gateUpBlocks(),
          w.gateUpScales(), w.gateUpBias(), w.downBlocks(), w.downScales(), w.downBias());
    }

    public boolean holds(int expert) {
      return expert >= first && expert < first + count;
    }
  }

  /** The router's choice for each token of {@code h} ([tokens, H]). */
  public static Route[] route(ModelConfig c, float[] routerWeight, float[] routerBias, float[] h, int tokens) {
    int experts = c.numLocalExperts();
    float[] routerLogits = new float[tokens * experts];
    Matmul.linear(h, tokens, c.hiddenSize(), routerWeight, routerBias, experts, routerLogits);
    Route[] routes = new Route[tokens];
    for (int t = 0; t < tokens; t++) routes[t] = route(routerLogits, t * experts, experts, c.numExpertsPerTok());
    return routes;
  }

  /**
   * @param h [tokens, H] post-attention-normed hidden states
   * @param x [tokens, H] residual stream, the expert output is added to it
   */
  static void forward(ModelConfig c, ModelWeights.Layer w, float[] h, int tokens, float[] x) {
    Route[] routes = route(c, w.routerWeight(), w.routerBias(), h, tokens);
    accumulate(Experts.of(c, w), routes, h, tokens, (float) c.swigluLimit(), x);
  }

  /**
   * Adds to each token's row of {@code x} its chosen experts' outputs that {@code ex} holds, weighted, in routing
   * order. Tokens are grouped by expert so that each expert's weights are unpacked once per step.
   */
  public static void accumulate(Experts ex, Route[] routes, float[] h, int tokens, float limit, float[] x) {
    int hid = ex.hidden();
    int k = tokens == 0 ? 0 : routes[0].experts().length;
    List<List<int[]>> byExpert = new ArrayList<>();
    for (int e = 0; e < ex.count(); e++) byExpert.add(new ArrayList<>());
    for (int t = 0; t < tokens; t++) {
      for (int j = 0; j < k; j++) {
        int e = routes[t].experts()[j];
        if (ex.holds(e)) byExpert.get(e - ex.first()).add(new int[] {t, j});
      }
    }
    // out[t*k + j] = output of the j-th chosen expert of token t; summed in routing order afterwards.
    float[][] out = new float[tokens * k][];
    for (int le = 0; le < ex.count(); le++) {
      List<int[]> group = byExpert.get(le);
      if (group.isEmpty()) continue;
      int n = group.size();
      float[] xin = new float[n * hid];
      for (int g = 0; g < n; g++) System.arraycopy(h, group.get(g)[0] * hid, xin, g * hid, hid);
      float[] down = mlp(ex, ex.first() + le, xin, n, limit);
      for (int g = 0; g < n; g++) out[group.get(g)[0] * k + group.get(g)[1]] = Arrays.copyOfRange(down, g * hid, (g + 1) * hid);
    }
    combine(routes, out, 0, tokens, hid, x);
  }

  /**
   * {@code x[t] += weight_j * out[t*k + j]} for the tokens {@code [from, to)}, j in routing order; a null output (an
   * expert held elsewhere) is skipped.
   */
  public static void combine(Route[] routes, float[][] out, int from, int to, int hid, float[] x) {
    for (int t = from; t < to; t++) {
      int k = routes[t].experts().length;
      for (int j = 0; j < k; j++) {
        float[] y = out[t * k + j];
        if (y == null) continue;
        float wt = routes[t].weights()[j];
        for (int i = 0; i < hid; i++) x[t * hid + i] += wt * y[i];
      }
    }
  }

  /** Expert {@code e}'s MLP (gate_up, clamped SwiGLU, down) on {@code n} rows: {@code [n, H]} to {@code [n, H]}. */
  public static float[] mlp(Experts ex, int e, float[] xin, int n, float limit) {
    int hid = ex.hidden(), inter = ex.inter(), le = e - ex.first();
    float[] gateUp = new float[n * 2 * inter];
    mxfp4Linear(xin, n, hid, ex.gateUpBlocks(), ex.gateUpScales(), (long) le * 2 * inter, ex.gateUpBias(),
        le * 2 * inter, 2 * inter, gateUp);
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
    mxfp4Linear(act, n, inter, ex.downBlocks(), ex.downScales(), (long) le * hid, ex.downBias(), le * hid, hid, down);
    return down;
  }

  private static float sigmoid(float v) {
    return (float) (1.0 / (1.0 + Math.exp(-v)));
  }

  /**
   * {@code y = x W^T + b} with W in MXFP4: rows {@code [rowBase, rowBase + out)} of a packed
   * {@code [rows, in/32, 16]} block tensor and its {@code [rows, in/32]} scales; {@code bias} null adds none.
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
        Matmul.rowTimesTokens(x, tokens, in, wv, 0, bias == null ? 0f : bias[biasBase + o], y, out, o);
      }
    });
  }
}
