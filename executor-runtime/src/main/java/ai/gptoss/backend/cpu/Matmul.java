package ai.gptoss.backend.cpu;

import java.util.stream.IntStream;

/** Dense float32 matrix products {@code y = x W^T + b}, split across cores by output rows. */
final class Matmul {
  private static final int ROWS_PER_TASK = 32;

  private Matmul() {}

  /**
   * @param x [tokens, in]
   * @param w [out, in] (row-major, as stored in the checkpoint)
   * @param b [out] or null
   * @param y [tokens, out] written
   */
  static void linear(float[] x, int tokens, int in, float[] w, float[] b, int out, float[] y) {
    int tasks = (out + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    IntStream.range(0, tasks).parallel().forEach(task -> {
      int o0 = task * ROWS_PER_TASK, o1 = Math.min(out, o0 + ROWS_PER_TASK);
      for (int o = o0; o < o1; o++) {
        int wOff = o * in;
        float bias = b == null ? 0f : b[o];
        for (int t = 0; t < tokens; t++) {
          y[t * out + o] = dot(x, t * in, w, wOff, in) + bias;
        }
      }
    });
  }

  /** {@code sum_i a[aOff+i] * b[bOff+i]} with four partial sums. */
  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += a[aOff + i] * b[bOff + i];
      s1 += a[aOff + i + 1] * b[bOff + i + 1];
      s2 += a[aOff + i + 2] * b[bOff + i + 2];
      s3 += a[aOff + i + 3] * b[bOff + i + 3];
    }
    for (; i < n; i++) s0 += a[aOff + i] * b[bOff + i];
    return (s0 + s1) + (s2 + s3);
  }
}
