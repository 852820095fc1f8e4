package ai.gptoss.backend.cpu;

/** {@code y = x / sqrt(mean(x^2) + eps) * w}, in float32, one row per token. */
final class RmsNorm {
  private RmsNorm() {}

  static void apply(float[] x, int tokens, int dim, float[] w, float eps, float[] y) {
    for (int t = 0; t < tokens; t++) {
      int off = t * dim;
      float ss = 0;
      for (int i = 0; i < dim; i++) ss += x[off + i] * x[off + i];
      float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
      for (int i = 0; i < dim; i++) y[off + i] = w[i] * (x[off + i] * inv);
    }
  }
}
