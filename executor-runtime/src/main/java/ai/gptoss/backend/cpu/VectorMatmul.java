package ai.gptoss.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD kernels for {@link Matmul}, used when the JVM runs with {@code --add-modules
 * jdk.incubator.vector} (bin/gptoss and the tests do). Every output is summed the same way whatever
 * the batch: lane-wise partial sums over {@code i}, reduced across lanes, then the scalar tail, so a
 * token's result does not depend on the tokens beside it.
 */
final class VectorMatmul {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorMatmul() {}

  /** Touches the module so that a JVM without it fails here, at class initialisation. */
  static int lanes() {
    return L;
  }

  static void fourTokens(float[] x, int t, int in, float[] w, int wOff, float bias, float[] y, int out, int o) {
    int x0 = t * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    int bound = S.loopBound(in), i = 0;
    for (; i < bound; i += L) {
      FloatVector wv = FloatVector.fromArray(S, w, wOff + i);
      a0 = FloatVector.fromArray(S, x, x0 + i).fma(wv, a0);
      a1 = FloatVector.fromArray(S, x, x1 + i).fma(wv, a1);
      a2 = FloatVector.fromArray(S, x, x2 + i).fma(wv, a2);
      a3 = FloatVector.fromArray(S, x, x3 + i).fma(wv, a3);
    }
    float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
    float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
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

  static void fourRows(float[] x, int xOff, int in, float[] w, int o, float[] b, float[] y, int yOff) {
    int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    int bound = S.loopBound(in), i = 0;
    for (; i < bound; i += L) {
      FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
      a0 = xv.fma(FloatVector.fromArray(S, w, w0 + i), a0);
      a1 = xv.fma(FloatVector.fromArray(S, w, w1 + i), a1);
      a2 = xv.fma(FloatVector.fromArray(S, w, w2 + i), a2);
      a3 = xv.fma(FloatVector.fromArray(S, w, w3 + i), a3);
    }
    float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
    float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
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

  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    FloatVector acc = FloatVector.zero(S);
    int bound = S.loopBound(n), i = 0;
    for (; i < bound; i += L) {
      acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
    return s;
  }
}
