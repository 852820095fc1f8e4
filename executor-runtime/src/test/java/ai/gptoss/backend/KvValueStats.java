package ai.gptoss.backend;

import ai.gptoss.backend.cpu.Matmul;
import ai.gptoss.backend.cpu.RmsNorm;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;

/**
 * Statistics of the K and V values a layer writes to its cache, before any rounding: largest |x|, RMS, the fraction
 * below E4M3's smallest normal 2^-6 (where FP8 keeps fewer than 3 mantissa bits), the fraction at or beyond E4M3's
 * largest finite 448 (saturated), and the relative RMS error of {@link Fp8E4M3#round}. K is taken after YaRN (as
 * cached, attention factor included). Recomputed from a layer's input residual exactly as the CPU backend computes
 * them (RMSNorm, projection with bias, rotary), so the backend itself needs no hook beyond its residual probe.
 */
final class KvValueStats {
  /** E4M3's smallest normal; below it the format is subnormal (steps of 2^-9). */
  static final float SMALLEST_NORMAL = 0x1p-6f;

  private final ModelConfig c;
  private final ModelWeights w;
  private final YarnRope rope;
  private final Acc[][] acc; // [layer][0 = K, 1 = V]

  KvValueStats(ModelWeights w) {
    this.w = w;
    this.c = w.config;
    this.rope = new YarnRope(c);
    acc = new Acc[c.numHiddenLayers()][2];
    for (Acc[] a : acc) {
      a[0] = new Acc();
      a[1] = new Acc();
    }
  }

  /** Adds layer {@code layer}'s K and V of {@code tokens} positions from {@code first} on; {@code x}: the layer's input. */
  void add(int layer, float[] x, int tokens, int first) {
    ModelWeights.Layer lw = w.layers.get(layer);
    int hid = c.hiddenSize(), kvDim = c.kvDim();
    float[] h = new float[tokens * hid], k = new float[tokens * kvDim], v = new float[tokens * kvDim];
    RmsNorm.apply(x, tokens, hid, lw.inputLayernorm(), (float) c.rmsNormEps(), h);
    Matmul.linear(h, tokens, hid, lw.kProj(), lw.kBias(), kvDim, k);
    Matmul.linear(h, tokens, hid, lw.vProj(), lw.vBias(), kvDim, v);
    for (int t = 0; t < tokens; t++) rope.apply(k, t * kvDim, c.numKeyValueHeads(), first + t);
    acc[layer][0].add(k);
    acc[layer][1].add(v);
  }

  /** One line per layer and tensor. */
  String report() {
    StringBuilder s = new StringBuilder();
    for (int l = 0; l < acc.length; l++) {
      for (int kv = 0; kv < 2; kv++) {
        s.append(String.format("  layer %d (%s) %s: %s%n", l, c.isSliding(l) ? "sliding" : "full", kv == 0 ? "K" : "V",
            acc[l][kv]));
      }
    }
    return s.toString();
  }

  private static final class Acc {
    long n;
    long subnormal;
    long saturated;
    double max;
    double sumSq;
    double errSq;

    void add(float[] a) {
      for (float x : a) {
        double ax = Math.abs(x);
        n++;
        if (ax < SMALLEST_NORMAL) subnormal++;
        if (ax >= Fp8E4M3.MAX) saturated++;
        max = Math.max(max, ax);
        sumSq += ax * ax;
        double e = Fp8E4M3.round(x) - (double) x;
        errSq += e * e;
      }
    }

    @Override
    public String toString() {
      return String.format("max|x| %.3f  rms %.3f  |x|<2^-6 %.4f%%  |x|>=448 %.4f%%  FP8 rounding rel. RMS error %.3e"
          + "  (%d values)", max, Math.sqrt(sumSq / n), 100.0 * subnormal / n, 100.0 * saturated / n,
          Math.sqrt(errSq / sumSq), n);
    }
  }
}
