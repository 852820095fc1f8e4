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

  /** PTX prmt.b32 (CUDA __byte_perm), default mode: result byte i = byte (s >> 4i) & 7 of {y, x}. */
  static int bytePerm(int x, int y, int sel) {
    long bytes = (x & 0xffffffffL) | (y & 0xffffffffL) << 32;
    int r = 0;
    for (int i = 0; i < 4; i++) {
      int n = (sel >>> (4 * i)) & 0xf;
      int b = (int) (bytes >>> (8 * (n & 7))) & 0xff;
      if ((n & 8) != 0) b = (b & 0x80) != 0 ? 0xff : 0; // sign replication (never used by the kernels)
      r |= b << (8 * i);
    }
    return r;
  }

  /** mxfp4_lut: {hi0, hi1, lo0, lo1}. */
  static int[] lut(int s) {
    int adj = (s - 127) << 7, both = adj * 65537;
    int p01 = 0x3f000000 + (adj << 16), p23 = 0x3fc03f80 + both, p45 = 0x40404000 + both, p67 = 0x40c04080 + both;
    return new int[] {bytePerm(p01, p23, 0x7531), bytePerm(p45, p67, 0x7531), bytePerm(p01, p23, 0x6420),
        bytePerm(p45, p67, 0x6420)};
  }

  /** mxfp4_word: 8 nibbles -> 4 bf16x2 registers (values 2j, 2j+1 in register j). */
  static int[] word(int w, int[] t) {
    int m = w & 0x77777777, mb = m >>> 16;
    int ha = bytePerm(t[0], t[1], m), la = bytePerm(t[2], t[3], m);
    int hb = bytePerm(t[0], t[1], mb), lb = bytePerm(t[2], t[3], mb);
    int x = w << 4;
    return new int[] {bytePerm(la, ha, 0x5140) | (bytePerm(x, w, 0x4000) & 0x80008000),
        bytePerm(la, ha, 0x7362) | (bytePerm(x, w, 0x5010) & 0x80008000),
        bytePerm(lb, hb, 0x5140) | (bytePerm(x, w, 0x6020) & 0x80008000),
        bytePerm(lb, hb, 0x7362) | (bytePerm(x, w, 0x7030) & 0x80008000)};
  }

  /** CPU twin of mxfp4_lut / mxfp4_word (the lookup-table unpack of moe_gemm.cu): every byte, every scale. */
  @Test
  void lookupTableUnpackMatchesTheReferenceForEveryByteAndScale() {
    byte[] block = new byte[16];
    float[] ref = new float[32];
    for (int s = 2; s <= 252; s++) {
      int[] t = lut(s);
      for (int b0 = 0; b0 < 256; b0 += 16) {
        for (int i = 0; i < 16; i++) block[i] = (byte) (b0 + i * 17 + s); // every byte value, mixed positions
        Mxfp4.decodeBlock(block, 0, (byte) s, ref, 0);
        for (int q = 0; q < 4; q++) {
          int w = (block[4 * q] & 0xff) | (block[4 * q + 1] & 0xff) << 8 | (block[4 * q + 2] & 0xff) << 16
              | (block[4 * q + 3] & 0xff) << 24;
          int[] o = word(w, t);
          for (int j = 0; j < 4; j++) {
            int k = 8 * q + 2 * j;
            assertEquals(Float.floatToRawIntBits(ref[k]), Float.floatToRawIntBits(bf16(o[j])), "s=" + s + " k=" + k);
            assertEquals(Float.floatToRawIntBits(ref[k + 1]), Float.floatToRawIntBits(bf16(o[j] >>> 16)), "s=" + s + " k=" + (k + 1));
          }
        }
      }
    }
  }

  /** e2m1x8 (moe_gemv_split.cu): 8 nibbles -> 4 bf16x2 registers, value i in the low half of register i, i + 4 in the high. */
  static int[] e2m1x8(int w) {
    int v = w >>> 8;
    int[] raw = {((w & 0x000f000f) * 0x1040) & 0x81c081c0, ((w & 0x00f000f0) * 0x0104) & 0x81c081c0,
        ((v & 0x000f000f) * 0x1040) & 0x81c081c0, ((v & 0x00f000f0) * 0x0104) & 0x81c081c0};
    for (int i = 0; i < 4; i++) raw[i] = mul(raw[i], 0x7e807e80);
    return raw;
  }

  /** CPU twin of the K-split gemv's unpack: every pair of nibbles it puts in one register, in every position, bit for bit. */
  @Test
  void splitGemvUnpackGivesEveryNibblePairExactly() {
    for (int i = 0; i < 4; i++) {
      for (int pair = 0; pair < 256; pair++) {
        int w = 0;
        for (int j = 0; j < 8; j++) {
          int nib = j == i ? pair & 15 : j == i + 4 ? pair >>> 4 : (pair * 7 + j * 5 + 3) & 15;
          w |= nib << (4 * j);
        }
        int[] o = e2m1x8(w);
        for (int q = 0; q < 4; q++) {
          float lo = Mxfp4.NIBBLE_VALUES[(w >>> (4 * q)) & 15], hi = Mxfp4.NIBBLE_VALUES[(w >>> (4 * (q + 4))) & 15];
          assertEquals(Float.floatToRawIntBits(lo), Float.floatToRawIntBits(bf16(o[q])), "word " + Integer.toHexString(w) + " out " + q);
          assertEquals(Float.floatToRawIntBits(hi), Float.floatToRawIntBits(bf16(o[q] >>> 16)), "word " + Integer.toHexString(w) + " out " + q);
        }
      }
    }
  }
}
