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
    Matmul.fourTokensFrom(x, t, in, w, wOff, bias, y, out, o, i, a0.reduceLanes(VectorOperators.ADD),
        a1.reduceLanes(VectorOperators.ADD), a2.reduceLanes(VectorOperators.ADD), a3.reduceLanes(VectorOperators.ADD));
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
    Matmul.fourRowsFrom(x, xOff, in, w, o, b, y, yOff, i, a0.reduceLanes(VectorOperators.ADD),
        a1.reduceLanes(VectorOperators.ADD), a2.reduceLanes(VectorOperators.ADD), a3.reduceLanes(VectorOperators.ADD));
  }

  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    FloatVector acc = FloatVector.zero(S);
    int bound = S.loopBound(n), i = 0;
    for (; i < bound; i += L) {
      acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
    }
    return Matmul.dotFrom(a, aOff, b, bOff, n, i, acc.reduceLanes(VectorOperators.ADD));
  }
}
