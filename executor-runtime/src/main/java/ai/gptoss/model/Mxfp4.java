package ai.gptoss.model;

/**
 * The MXFP4 format of the expert weights, defined once (as gpt-oss {@code weights.py} does).
 *
 * <p>A block is 32 consecutive values along the input dimension: 16 bytes of E2M1 nibbles plus one
 * E8M0 scale byte. Byte k of a block holds element 2k in its low nibble and element 2k+1 in its
 * high nibble. Value = nibble value * 2^(scale - 127).
 */
public final class Mxfp4 {
  public static final int BLOCK = 32;
  public static final int BYTES_PER_BLOCK = 16;
  public static final int SCALE_BIAS = 127;

  /** E2M1 nibble values, indexed by the 4-bit code. */
  public static final float[] NIBBLE_VALUES = {
    +0.0f, +0.5f, +1.0f, +1.5f, +2.0f, +3.0f, +4.0f, +6.0f,
    -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f
  };

  private static final float[] SCALES = new float[256];

  static {
    for (int s = 0; s < 256; s++) {
      SCALES[s] = (float) Math.scalb(1.0, s - SCALE_BIAS);
    }
  }

  private Mxfp4() {}

  /** 2^(scale - 127) for an E8M0 scale byte. */
  public static float scale(byte e8m0) {
    return SCALES[e8m0 & 0xff];
  }

  /**
   * Unpacks one block into {@code out[outOffset .. outOffset+32)}.
   *
   * @param blocks packed nibbles; the block starts at {@code blockOffset} (16 bytes)
   */
  public static void decodeBlock(byte[] blocks, long blockOffset, byte scale, float[] out, int outOffset) {
    float s = scale(scale);
    int base = Math.toIntExact(blockOffset);
    for (int k = 0; k < BYTES_PER_BLOCK; k++) {
      int b = blocks[base + k] & 0xff;
      out[outOffset + 2 * k] = NIBBLE_VALUES[b & 0x0f] * s;
      out[outOffset + 2 * k + 1] = NIBBLE_VALUES[b >>> 4] * s;
    }
  }

  /**
   * Finds the E2M1 code nearest to {@code v} (ties to the code with the smaller magnitude). Used by
   * the synthetic checkpoint writer.
   */
  public static int nearestCode(float v) {
    int best = 0;
    float bestErr = Float.MAX_VALUE;
    for (int c = 0; c < 16; c++) {
      float err = Math.abs(NIBBLE_VALUES[c] - v);
      if (err < bestErr) {
        bestErr = err;
        best = c;
      }
    }
    return best;
  }
}
