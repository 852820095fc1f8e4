package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The FP8 E4M3 codec of the KV cache, and the twin of the kernels' widening (gptoss_kernels.h). */
class Fp8E4M3Test {
  private static boolean nan(int code) {
    return (code & 0x7f) == 0x7f;
  }

  @Test
  void knownValues() {
    assertEquals(448f, Fp8E4M3.decode(0x7e));
    assertEquals(-448f, Fp8E4M3.decode(0xfe));
    assertEquals(1f, Fp8E4M3.decode(0x38));
    assertEquals(0x1p-9f, Fp8E4M3.decode(0x01)); // smallest subnormal
    assertEquals(0x1p-6f, Fp8E4M3.decode(0x08)); // smallest normal
    assertTrue(Float.isNaN(Fp8E4M3.decode(0x7f)));
  }

  @Test
  void everyCodeIsItsOwnRounding() {
    for (int c = 0; c < 256; c++) {
      if (nan(c)) continue;
      float v = Fp8E4M3.decode(c);
      assertEquals(v, Fp8E4M3.round(v), "code " + c);
    }
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Fp8E4M3.round(-0f)), "-0 keeps its sign");
  }

  /**
   * e4m3x4_to_bf16x4: sign to bit 15, the 7 exponent+mantissa bits to bits 10..4, then x 2^120; the same
   * arithmetic here in float32 (the bf16 bits shifted into a float are the same value) for every code.
   */
  @Test
  void kernelWideningIsExactForEveryCode() {
    for (int c = 0; c < 256; c++) {
      if (nan(c)) continue;
      int bf16 = ((c & 0x80) << 8) | ((c & 0x7f) << 4);
      float widened = Float.intBitsToFloat(bf16 << 16) * 0x1p120f;
      assertEquals(Fp8E4M3.decode(c), widened, "code " + c);
    }
  }

  @Test
  void roundsToNearestEvenAndSaturates() {
    assertEquals(1f, Fp8E4M3.round(1.0625f)); // halfway between 1 and 1.125: to even (1)
    assertEquals(1.25f, Fp8E4M3.round(1.1875f)); // halfway between 1.125 and 1.25: to even (1.25)
    assertEquals(0f, Fp8E4M3.round(0x1p-10f)); // half the smallest subnormal: to even (0)
    assertEquals(0x1p-8f, Fp8E4M3.round(3 * 0x1p-10f)); // 1.5 x 2^-9: to even (2 x 2^-9)
    assertEquals(448f, Fp8E4M3.round(460f));
    assertEquals(448f, Fp8E4M3.round(1e30f));
    assertEquals(-448f, Fp8E4M3.round(Float.NEGATIVE_INFINITY));
    assertTrue(Float.isNaN(Fp8E4M3.round(Float.NaN)));
  }

  /** round(x) is a representable value no farther from x than any other (checked against all 254 finite codes). */
  @Test
  void roundIsNearest() {
    Random r = new Random(3);
    for (int i = 0; i < 20_000; i++) {
      float x = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(24) - 12));
      float y = Fp8E4M3.round(x);
      double best = Double.MAX_VALUE;
      for (int c = 0; c < 256; c++) if (!nan(c)) best = Math.min(best, Math.abs(Fp8E4M3.decode(c) - (double) x));
      assertEquals(best, Math.abs(y - (double) x), 0.0, "x=" + x + " rounded to " + y);
    }
  }

  @Test
  void cacheDtypeParsesAndRounds() {
    assertEquals(KvCacheDtype.AUTO, KvCacheDtype.parse(null, "X"));
    assertEquals(KvCacheDtype.FP8, KvCacheDtype.parse(" FP8_E4M3 ", "X"));
    assertEquals(KvCacheDtype.BF16, KvCacheDtype.parse("bf16", "X"));
    BackendException e = assertThrows(BackendException.class, () -> KvCacheDtype.parse("int8", KvCacheDtype.ENV));
    assertTrue(e.getMessage().contains("GPTOSS_KV_CACHE_DTYPE=int8"), e.getMessage());
    assertEquals(1.5f, KvCacheDtype.AUTO.round(1.5f));
    assertEquals(1.0078125f, KvCacheDtype.BF16.round(1.01f)); // 1 + 2^-7: bf16's nearest
    assertEquals(1f, KvCacheDtype.FP8.round(1.01f));
  }
}
