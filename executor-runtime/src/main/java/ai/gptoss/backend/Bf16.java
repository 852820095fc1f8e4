package ai.gptoss.backend;

/** bfloat16 conversions on the host (round to nearest even, as the kernels' f2bf). */
public final class Bf16 {
  private Bf16() {}

  public static short fromFloat(float f) {
    int u = Float.floatToRawIntBits(f);
    if ((u & 0x7fffffff) > 0x7f800000) return (short) 0x7fc0;
    u += 0x7fff + ((u >>> 16) & 1);
    return (short) (u >>> 16);
  }

  public static float toFloat(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }

  /** {@code f} rounded to the nearest bf16 value, as a float. */
  public static float round(float f) {
    return toFloat(fromFloat(f));
  }
}
