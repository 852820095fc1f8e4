package ai.gptoss.backend.cpu;

/** {@code y = x / sqrt(mean(x^2) + eps) * w}, in float32, one row per token. */
public final class RmsNorm {
  private RmsNorm() {}

  public static void apply(float[] x, int tokens, int dim, float[] w, float eps, float[] y) {
    for (int t = 0; t < tokens; t++) {
      int off = t * dim;
      float ss = 0;
      for (int i = 0; i < dim; i++) ss += x[off + i] * x[off + i];
      float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
      for (int i = 0; i < dim; i++) y[off + i] = w[i] * (x[off + i] * inv);
    }
  }

  /** Rows {@code rows} of {@code x} ([*, dim]), normed: {@code [rows.length, dim]} (the output rows before the LM head). */
  public static float[] applyToRows(float[] x, int[] rows, int dim, float[] w, float eps) {
    int n = rows.length;
    float[] sel = new float[n * dim];
    for (int r = 0; r < n; r++) System.arraycopy(x, rows[r] * dim, sel, r * dim, dim);
    float[] normed = new float[n * dim];
    apply(sel, n, dim, w, eps, normed);
    return normed;
  }
}
