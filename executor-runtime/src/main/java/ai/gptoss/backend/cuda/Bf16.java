package ai.gptoss.backend.cuda;

/** bfloat16 conversions on the host (round to nearest even, as the kernels' f2bf). */
final class Bf16 {
  private Bf16() {}

  static short fromFloat(float f) {
    int u = Float.floatToRawIntBits(f);
    if ((u & 0x7fffffff) > 0x7f800000) return (short) 0x7fc0;
    u += 0x7fff + ((u >>> 16) & 1);
    return (short) (u >>> 16);
  }

  static float toFloat(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }
}
