package ai.gptoss.backend;

import ai.gptoss.model.ModelConfig;

/**
 * Rotary position embeddings with YaRN scaling, as transformers computes them for gpt-oss
 * ({@code _compute_yarn_parameters}): half-split layout, float32 angles, cos and sin scaled by
 * {@code 0.1 ln(factor) + 1}. Shared by every backend: the CUDA backend uploads {@link #invFreq()}.
 */
public final class YarnRope {
  private final int headDim;
  private final float[] invFreq; // [headDim/2]
  private final float attentionFactor;

  public YarnRope(ModelConfig c) {
    this.headDim = c.headDim();
    int half = headDim / 2;
    double base = c.ropeTheta();
    invFreq = new float[half];
    ModelConfig.RopeScaling rs = c.ropeScaling();
    if (rs == null) {
      for (int i = 0; i < half; i++) invFreq[i] = (float) (1.0 / (float) Math.pow(base, (float) (2 * i) / headDim));
      attentionFactor = 1f;
      return;
    }
    double factor = rs.factor();
    double low = correctionDim(rs.betaFast(), headDim, base, rs.originalMaxPositionEmbeddings());
    double high = correctionDim(rs.betaSlow(), headDim, base, rs.originalMaxPositionEmbeddings());
    if (rs.truncate()) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
    low = Math.max(low, 0);
    high = Math.min(high, headDim - 1);
    if (low == high) high += 0.001;
    for (int i = 0; i < half; i++) {
      float posFreq = (float) Math.pow(base, (float) (2 * i) / headDim);
      float extrap = 1f / posFreq;
      float interp = 1f / ((float) factor * posFreq);
      float ramp = (float) ((i - low) / (high - low));
      ramp = Math.max(0f, Math.min(1f, ramp));
      float extrapFactor = 1f - ramp;
      invFreq[i] = interp * (1f - extrapFactor) + extrap * extrapFactor;
    }
    attentionFactor = (float) (0.1 * Math.log(factor) + 1.0);
  }

  private static double correctionDim(double rotations, int dim, double base, int maxPos) {
    return (dim * Math.log(maxPos / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  }

  public float[] invFreq() {
    return invFreq.clone();
  }

  public float attentionFactor() {
    return attentionFactor;
  }

  /** Rotates {@code heads} consecutive heads of {@code x} starting at {@code off}, in place. */
  public void apply(float[] x, int off, int heads, int position) {
    int half = headDim / 2;
    float[] cos = new float[half], sin = new float[half];
    for (int i = 0; i < half; i++) {
      float angle = (float) position * invFreq[i];
      cos[i] = (float) Math.cos(angle) * attentionFactor;
      sin[i] = (float) Math.sin(angle) * attentionFactor;
    }
    for (int h = 0; h < heads; h++) {
      int base = off + h * headDim;
      for (int i = 0; i < half; i++) {
        float a = x[base + i], b = x[base + half + i];
        x[base + i] = a * cos[i] - b * sin[i];
        x[base + half + i] = b * cos[i] + a * sin[i];
      }
    }
  }
}
