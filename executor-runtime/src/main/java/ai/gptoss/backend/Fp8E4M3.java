package ai.gptoss.backend;

/**
 * The FP8 E4M3 format of the optional FP8 KV cache (OCP FP8, as NVIDIA's {@code __nv_fp8_e4m3} and
 * vLLM's {@code fp8} cache): sign, 4 exponent bits (bias 7), 3 mantissa bits; no infinities, 0x7f and
 * 0xff are NaN, the largest finite value is 448. Encoding rounds to nearest even and saturates finite
 * values to +-448, as {@code cvt.rn.satfinite.e4m3x2.f32} does in the CUDA kernels (gptoss_kernels.h),
 * so the pure-Java backend stores exactly what the GPU stores.
 */
public final class Fp8E4M3 {
  public static final float MAX = 448f;

  private Fp8E4M3() {}

  /** The E4M3 value nearest to {@code x} (ties to even), saturated to +-448; NaN stays NaN. */
  public static float round(float x) {
    if (Float.isNaN(x)) return x;
    float a = Math.abs(x);
    if (a >= MAX) return Math.copySign(MAX, x);
    double step = a < 0x1p-6f ? 0x1p-9 : Math.scalb(1.0, Math.getExponent(a) - 3); // 3 mantissa bits
    return (float) Math.copySign(Math.rint(a / step) * step, x); // exact: a / step and back are powers-of-two scalings
  }

  /** The value of an E4M3 code (the low 8 bits of {@code code}): the format's definition, which the tests check {@link #round} and the kernels' widening against. */
  public static float decode(int code) {
    int c = code & 0xff, e = (c >>> 3) & 15, m = c & 7;
    float a = e == 15 && m == 7 ? Float.NaN : e == 0 ? m * 0x1p-9f : Math.scalb(8f + m, e - 10);
    return (c & 0x80) != 0 ? -a : a;
  }
}
