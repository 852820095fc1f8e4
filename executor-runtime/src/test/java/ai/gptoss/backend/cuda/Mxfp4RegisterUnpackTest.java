package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.model.Mxfp4;
import org.junit.jupiter.api.Test;

/**
 * CPU twin of the in-register MXFP4 unpack of the expert kernels ({@code mxfp4_pair} in
 * gptoss_kernels.h): the same integer steps and an IEEE model of {@code fma.rn.bf16x2} (round to
 * nearest even, subnormals kept), bit for bit, against {@link Mxfp4}'s plain dequantisation. The
 * GPU side of the same claim is {@code mxfp4_unpack} in native/src/test/cuda/moe_check.cu.
 */
class Mxfp4RegisterUnpackTest {
  /** mxfp4_pair_raw: byte j of w -> bf16x2 bits of E2M1 x 2^-126 (low nibble in the low half). */
  static int pairRaw(int w, int j) {
    int y = ((w >>> (8 * j)) & 0xff) * 0x40040;
    return (y & 0x01c001c0) | ((y << 6) & 0x80008000);
  }

  static float bf16(int bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /** Round a float to bf16 bits, nearest even (as f2bf; the products here are never NaN). */
  static int toBf16(float f) {
    int u = Float.floatToRawIntBits(f);
    return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
  }

  /** fma.rn.bf16x2 d = x * y + (-0, -0) per half: a product of two bf16 values is exact in float. */
  static int mul(int x, int y) {
    int lo = toBf16(bf16(x) * bf16(y) + -0.0f), hi = toBf16(bf16(x >>> 16) * bf16(y >>> 16) + -0.0f);
    return lo | (hi << 16);
  }

  static int pair(int w, int j, int s) {
    int scale2 = (s << 7) | (s << 23);
    return mul(mul(pairRaw(w, j), 0x7e807e80), scale2);
  }

  @Test
  void rawBitsAreE2m1Times2ToTheMinus126() {
    for (int b = 0; b < 256; b++) {
      int raw = pairRaw(b << 16, 2);
      assertEquals(Mxfp4.NIBBLE_VALUES[b & 15] * 0x1p-126f, bf16(raw), "low nibble of byte " + b);
      assertEquals(Mxfp4.NIBBLE_VALUES[b >>> 4] * 0x1p-126f, bf16(raw >>> 16), "high nibble of byte " + b);
    }
  }

  @Test
  void everyByteAndScaleMatchesTheReference() {
    byte[] block = new byte[16];
    float[] ref = new float[32];
    for (int s = 2; s <= 252; s++) {
      for (int b0 = 0; b0 < 256; b0 += 16) {
        for (int i = 0; i < 16; i++) block[i] = (byte) (b0 + i);
        Mxfp4.decodeBlock(block, 0, (byte) s, ref, 0);
        for (int q = 0; q < 4; q++) {
          int w = (block[4 * q] & 0xff) | (block[4 * q + 1] & 0xff) << 8 | (block[4 * q + 2] & 0xff) << 16
              | (block[4 * q + 3] & 0xff) << 24;
          for (int j = 0; j < 4; j++) {
            int p = pair(w, j, s), k = 8 * q + 2 * j;
            // bit-exact, the sign of zero included
            assertEquals(Float.floatToRawIntBits(ref[k]), Float.floatToRawIntBits(bf16(p)), "s=" + s + " k=" + k);
            assertEquals(Float.floatToRawIntBits(ref[k + 1]), Float.floatToRawIntBits(bf16(p >>> 16)), "s=" + s + " k=" + (k + 1));
          }
        }
      }
    }
  }
}
