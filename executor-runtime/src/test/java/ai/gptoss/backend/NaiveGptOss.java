package ai.gptoss.backend;

import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;

/**
 * A deliberately simple float64 GPT-OSS, written straight from shared/docs/gpt-oss.md and sharing no
 * code with the backends: experts fully dequantized up front with its own nibble table, no KV cache
 * or paging, attention recomputed over the whole sequence with plain loops. It is the slow twin the
 * CPU backend is checked against on shapes transformers was never run on; it is itself checked
 * against transformers on tiny-a.
 */
final class NaiveGptOss {
  /** E2M1 nibble values, from the doc's MXFP4 section. */
  private static final double[] FP4 = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6};

  private final ModelConfig c;
  private final ModelWeights w;
  private final double[][][][] gateUp; // per layer [E][2I][H]
  private final double[][][][] down; // per layer [E][H][I]
  private final double[] invFreq; // [headDim/2]
  private final double ropeScale;

  NaiveGptOss(ModelWeights weights) {
    this.w = weights;
    this.c = weights.config;
    int layers = c.numHiddenLayers(), e = c.numLocalExperts(), h = c.hiddenSize(), i = c.intermediateSize();
    gateUp = new double[layers][][][];
    down = new double[layers][][][];
    for (int l = 0; l < layers; l++) {
      ModelWeights.Layer L = w.layers.get(l);
      gateUp[l] = dequantize(L.gateUpBlocks(), L.gateUpScales(), e, 2 * i, h);
      down[l] = dequantize(L.downBlocks(), L.downScales(), e, h, i);
    }
    // YaRN (doc, "One layer" step 3), for any head_dim d: pos_freqs = theta^(2i/d).
    int d = c.headDim();
    invFreq = new double[d / 2];
    ModelConfig.RopeScaling rs = c.ropeScaling();
    double theta = c.ropeTheta();
    if (rs == null) {
      for (int k = 0; k < d / 2; k++) invFreq[k] = 1 / Math.pow(theta, 2.0 * k / d);
      ropeScale = 1;
    } else {
      double orig = rs.originalMaxPositionEmbeddings();
      double low = d * Math.log(orig / (rs.betaFast() * 2 * Math.PI)) / (2 * Math.log(theta));
      double high = d * Math.log(orig / (rs.betaSlow() * 2 * Math.PI)) / (2 * Math.log(theta));
      if (rs.truncate()) {
        low = Math.floor(low);
        high = Math.ceil(high);
      }
      low = Math.max(low, 0);
      high = Math.min(high, d - 1);
      for (int k = 0; k < d / 2; k++) {
        double posFreq = Math.pow(theta, 2.0 * k / d);
        double extrap = 1 / posFreq, interp = 1 / (rs.factor() * posFreq);
        double ramp = Math.min(1, Math.max(0, (k - low) / (high - low)));
        invFreq[k] = interp * ramp + extrap * (1 - ramp);
      }
      ropeScale = 0.1 * Math.log(rs.factor()) + 1;
    }
  }

  /** [E, rows, cols/32, 16] blocks and [E, rows, cols/32] scales to [E][rows][cols]. */
  static double[][][] dequantize(byte[] blocks, byte[] scales, int experts, int rows, int cols) {
    int nb = cols / 32;
    double[][][] out = new double[experts][rows][cols];
    for (int e = 0; e < experts; e++) {
      for (int r = 0; r < rows; r++) {
        for (int b = 0; b < nb; b++) {
          int block = (e * rows + r) * nb + b;
          double scale = Math.pow(2, (scales[block] & 0xff) - 127);
          for (int k = 0; k < 16; k++) {
            int byt = blocks[block * 16 + k] & 0xff;
            out[e][r][b * 32 + 2 * k] = FP4[byt & 0x0f] * scale;
            out[e][r][b * 32 + 2 * k + 1] = FP4[byt >>> 4] * scale;
          }
        }
      }
    }
    return out;
  }

  /** Logits at every position of {@code ids}: [n][vocab]. */
  double[][] logits(int[] ids) {
    int n = ids.length, hd = c.hiddenSize();
    double[][] x = new double[n][hd];
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < hd; j++) x[t][j] = w.embedTokens[ids[t] * hd + j];
    }
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      attention(l, x);
      moe(l, x);
    }
    double[][] out = new double[n][];
    for (int t = 0; t < n; t++) out[t] = matvec(w.lmHead, null, rmsnorm(x[t], w.norm), c.vocabSize());
    return out;
  }

  private void attention(int l, double[][] x) {
    ModelWeights.Layer L = w.layers.get(l);
    int n = x.length, heads = c.numAttentionHeads(), kvHeads = c.numKeyValueHeads(), d = c.headDim();
    int group = heads / kvHeads;
    double[][] q = new double[n][], k = new double[n][], v = new double[n][];
    for (int t = 0; t < n; t++) {
      double[] h = rmsnorm(x[t], L.inputLayernorm());
      q[t] = matvec(L.qProj(), L.qBias(), h, heads * d);
      k[t] = matvec(L.kProj(), L.kBias(), h, kvHeads * d);
      v[t] = matvec(L.vProj(), L.vBias(), h, kvHeads * d);
      rope(q[t], heads, t);
      rope(k[t], kvHeads, t);
    }
    boolean sliding = c.isSliding(l);
    double scale = 1 / Math.sqrt(d);
    for (int t = 0; t < n; t++) {
      double[] attn = new double[heads * d];
      for (int hq = 0; hq < heads; hq++) {
        int kv = hq / group;
        double[] s = new double[t + 1];
        double max = L.sinks()[hq];
        for (int j = 0; j <= t; j++) {
          boolean visible = !sliding || t - j < c.slidingWindow(); // the current token plus window-1 before it
          s[j] = Double.NEGATIVE_INFINITY;
          if (!visible) continue;
          double dot = 0;
          for (int e = 0; e < d; e++) dot += q[t][hq * d + e] * k[j][kv * d + e];
          s[j] = dot * scale;
          max = Math.max(max, s[j]);
        }
        double denom = Math.exp(L.sinks()[hq] - max);
        for (int j = 0; j <= t; j++) denom += Math.exp(s[j] - max);
        for (int j = 0; j <= t; j++) {
          double p = Math.exp(s[j] - max) / denom;
          for (int e = 0; e < d; e++) attn[hq * d + e] += p * v[j][kv * d + e];
        }
      }
      double[] o = matvec(L.oProj(), L.oBias(), attn, c.hiddenSize());
      for (int j = 0; j < o.length; j++) x[t][j] += o[j];
    }
  }

  /** Half-split rotary on each head: out = [a cos - b sin, b cos + a sin]. */
  private void rope(double[] x, int heads, int position) {
    int d = c.headDim(), half = d / 2;
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < half; i++) {
        double angle = position * invFreq[i];
        double cos = Math.cos(angle) * ropeScale, sin = Math.sin(angle) * ropeScale;
        double a = x[h * d + i], b = x[h * d + half + i];
        x[h * d + i] = a * cos - b * sin;
        x[h * d + half + i] = b * cos + a * sin;
      }
    }
  }

  private void moe(int l, double[][] x) {
    ModelWeights.Layer L = w.layers.get(l);
    int experts = c.numLocalExperts(), topK = c.numExpertsPerTok(), inter = c.intermediateSize(), hd = c.hiddenSize();
    double limit = c.swigluLimit();
    for (double[] xt : x) {
      double[] h = rmsnorm(xt, L.postAttentionLayernorm());
      double[] g = matvec(L.routerWeight(), L.routerBias(), h, experts);
      int[] chosen = new int[topK];
      boolean[] taken = new boolean[experts];
      for (int r = 0; r < topK; r++) {
        int best = -1;
        for (int e = 0; e < experts; e++) {
          if (!taken[e] && (best < 0 || g[e] > g[best])) best = e; // ties: lowest index
        }
        taken[best] = true;
        chosen[r] = best;
      }
      double max = g[chosen[0]], sum = 0;
      double[] weight = new double[topK];
      for (int r = 0; r < topK; r++) sum += weight[r] = Math.exp(g[chosen[r]] - max);
      double[] y = new double[hd];
      for (int r = 0; r < topK; r++) {
        int e = chosen[r];
        double[] a = new double[inter];
        for (int j = 0; j < inter; j++) {
          double gate = L.gateUpBias()[e * 2 * inter + 2 * j], up = L.gateUpBias()[e * 2 * inter + 2 * j + 1];
          for (int m = 0; m < hd; m++) {
            gate += gateUp[l][e][2 * j][m] * h[m];
            up += gateUp[l][e][2 * j + 1][m] * h[m];
          }
          gate = Math.min(gate, limit);
          up = Math.max(-limit, Math.min(limit, up));
          a[j] = gate / (1 + Math.exp(-1.702 * gate)) * (up + 1);
        }
        for (int m = 0; m < hd; m++) {
          double s = L.downBias()[e * hd + m];
          for (int j = 0; j < inter; j++) s += down[l][e][m][j] * a[j];
          y[m] += weight[r] / sum * s;
        }
      }
      for (int m = 0; m < hd; m++) xt[m] += y[m];
    }
  }

  private double[] rmsnorm(double[] x, float[] weight) {
    double ss = 0;
    for (double v : x) ss += v * v;
    double inv = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) out[i] = x[i] * inv * weight[i];
    return out;
  }

  /** y = W x + b with W row-major [rows, x.length]; {@code b} may be null. */
  private static double[] matvec(float[] wt, float[] b, double[] x, int rows) {
    double[] y = new double[rows];
    for (int r = 0; r < rows; r++) {
      double s = b == null ? 0 : b[r];
      for (int j = 0; j < x.length; j++) s += wt[r * x.length + j] * x[j];
      y[r] = s;
    }
    return y;
  }
}
