package ai.gptoss.backend.cpu;

import java.util.stream.IntStream;

/**
 * Dense float32 matrix products {@code y = x W^T + b}, split across cores by output rows.
 *
 * <p>Every output is summed in the same order whatever the number of tokens in the step (scalar: i = 0,
 * 1, 2, ... into one float; SIMD: lane-wise partial sums, then the lanes, then the tail), so a token's
 * logits do not depend on what else shares its batch. Speed comes from register blocking instead of
 * reordering: four tokens share each weight load, or, for a lone token, four weight rows run as four
 * independent chains.
 */
public final class Matmul {
  private static final int ROWS_PER_TASK = 32;

  /** Logged once per JVM (as a WARNING) when the CPU kernels fall back to scalar for want of the module. */
  static final String NO_VECTOR_MODULE = "gptoss: the CPU backend runs its scalar kernels, about 3x slower than its "
      + "SIMD ones, because this JVM lacks the Vector API module: start it with --add-modules jdk.incubator.vector "
      + "(Spark: spark.driver.extraJavaOptions and spark.executor.extraJavaOptions)";

  /**
   * SIMD kernels when the JVM has {@code jdk.incubator.vector} (bin/gptoss, the tests, and Spark
   * executors given {@code --add-modules jdk.incubator.vector}); the scalar kernels below otherwise.
   * {@code -Dgptoss.cpu.simd=false} forces the scalar ones.
   */
  static final boolean SIMD = simdAvailable();

  /**
   * Which kernels this JVM runs, for reports that compare against the pure-Java reference: its float sums are
   * ordered by the SIMD lane count (SPECIES_PREFERRED: 8 floats with AVX2, 16 with AVX-512) or scalar, so the same
   * step gives last-bit different logits on hosts of different CPUs (worst relative L2 3.1e-6 between scalar and
   * 8-lane on tiny-a's mixed batches).
   */
  public static String kernels() {
    return SIMD ? "SIMD, " + VectorMatmul.lanes() + " float lanes (Vector API)" : "scalar";
  }

  private static boolean simdAvailable() {
    if (!Boolean.parseBoolean(System.getProperty("gptoss.cpu.simd", "true"))) return false;
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      // Once per JVM (class initialization). System.Logger: java.util.logging, which Spark bridges to its log4j.
      System.getLogger(Matmul.class.getName()).log(System.Logger.Level.WARNING, NO_VECTOR_MODULE);
      return false;
    }
    try {
      return VectorMatmul.lanes() >= 4;
    } catch (LinkageError e) {
      return false;
    }
  }

  private Matmul() {}

  /**
   * @param x [tokens, in]
   * @param w [out, in] (row-major, as stored in the checkpoint)
   * @param b [out] or null
   * @param y [tokens, out] written
   */
  public static void linear(float[] x, int tokens, int in, float[] w, float[] b, int out, float[] y) {
    int tasks = (out + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    IntStream.range(0, tasks).parallel().forEach(task -> {
      int o0 = task * ROWS_PER_TASK, o1 = Math.min(out, o0 + ROWS_PER_TASK);
      int full = tokens - tokens % 4;
      for (int o = o0; o < o1; o++) {
        float bias = b == null ? 0f : b[o];
        for (int t = 0; t < full; t += 4) fourTokens(x, t, in, w, o * in, bias, y, out, o);
      }
      for (int t = full; t < tokens; t++) {
        int o = o0;
        for (; o + 3 < o1; o += 4) fourRows(x, t * in, in, w, o, b, y, t * out);
        for (; o < o1; o++) y[t * out + o] = dot(x, t * in, w, o * in, in) + (b == null ? 0f : b[o]);
      }
    });
  }

  /** One weight row ({@code w[wOff..wOff+in)}) against every token: {@code y[t, o] = x[t] . w + bias}. */
  static void rowTimesTokens(float[] x, int tokens, int in, float[] w, int wOff, float bias, float[] y, int out, int o) {
    int t = 0;
    for (; t + 3 < tokens; t += 4) fourTokens(x, t, in, w, wOff, bias, y, out, o);
    for (; t < tokens; t++) y[t * out + o] = dot(x, t * in, w, wOff, in) + bias;
  }

  private static void fourTokens(float[] x, int t, int in, float[] w, int wOff, float bias, float[] y, int out, int o) {
    if (SIMD) {
      VectorMatmul.fourTokens(x, t, in, w, wOff, bias, y, out, o);
      return;
    }
    fourTokensFrom(x, t, in, w, wOff, bias, y, out, o, 0, 0f, 0f, 0f, 0f);
  }

  /**
   * The scalar part of {@link #fourTokens} from index {@code i} on, added to the sums {@code s0..s3}
   * (zero, or the SIMD kernel's lane sums), and the four stores.
   */
  static void fourTokensFrom(float[] x, int t, int in, float[] w, int wOff, float bias, float[] y, int out, int o, int i,
      float s0, float s1, float s2, float s3) {
    int x0 = t * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
    for (; i < in; i++) {
      float wi = w[wOff + i];
      s0 += x[x0 + i] * wi;
      s1 += x[x1 + i] * wi;
      s2 += x[x2 + i] * wi;
      s3 += x[x3 + i] * wi;
    }
    y[t * out + o] = s0 + bias;
    y[(t + 1) * out + o] = s1 + bias;
    y[(t + 2) * out + o] = s2 + bias;
    y[(t + 3) * out + o] = s3 + bias;
  }

  private static void fourRows(float[] x, int xOff, int in, float[] w, int o, float[] b, float[] y, int yOff) {
    if (SIMD) {
      VectorMatmul.fourRows(x, xOff, in, w, o, b, y, yOff);
      return;
    }
    fourRowsFrom(x, xOff, in, w, o, b, y, yOff, 0, 0f, 0f, 0f, 0f);
  }

  /** The scalar part of {@link #fourRows} from index {@code i} on, added to the sums {@code s0..s3}, and the stores. */
  static void fourRowsFrom(float[] x, int xOff, int in, float[] w, int o, float[] b, float[] y, int yOff, int i,
      float s0, float s1, float s2, float s3) {
    int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
    for (; i < in; i++) {
      float xi = x[xOff + i];
      s0 += xi * w[w0 + i];
      s1 += xi * w[w1 + i];
      s2 += xi * w[w2 + i];
      s3 += xi * w[w3 + i];
    }
    y[yOff + o] = s0 + (b == null ? 0f : b[o]);
    y[yOff + o + 1] = s1 + (b == null ? 0f : b[o + 1]);
    y[yOff + o + 2] = s2 + (b == null ? 0f : b[o + 2]);
    y[yOff + o + 3] = s3 + (b == null ? 0f : b[o + 3]);
  }

  /** {@code sum_i a[aOff+i] * b[bOff+i]}, summed in index order into one float. */
  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    if (SIMD) return VectorMatmul.dot(a, aOff, b, bOff, n);
    return dotFrom(a, aOff, b, bOff, n, 0, 0f);
  }

  /** {@code s} plus {@code sum a[aOff+j] * b[bOff+j]} for j from {@code i} to {@code n - 1}, in index order. */
  static float dotFrom(float[] a, int aOff, float[] b, int bOff, int n, int i, float s) {
    for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
    return s;
  }
}
