package ai.gptoss.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.backend.Bf16;
import ai.gptoss.backend.Fp8E4M3;
import ai.gptoss.backend.KvCacheDtype;
import org.junit.jupiter.api.Test;

/** The pure-Java cache stores K/V as GPTOSS_KV_CACHE_DTYPE says, the twin of the CUDA cache's formats. */
class CpuKvCacheTest {
  private static float[] stored(KvCacheDtype dtype, float[] kv) {
    CpuKvCache cache = new CpuKvCache(1, 1, 4, kv.length, dtype);
    float[] page = cache.page(new int[] {0}, 2, true);
    int off = cache.offset(0, 1, 2);
    cache.write(kv, 0, page, off, kv.length);
    return java.util.Arrays.copyOfRange(page, off, off + kv.length);
  }

  @Test
  void storesFloat32ByDefaultAndRoundsWhenAsked() {
    float[] kv = {1.01f, -3.3f, 500f, 0x1p-10f, 0.3333f};
    float[] auto = stored(KvCacheDtype.AUTO, kv), bf16 = stored(KvCacheDtype.BF16, kv), fp8 = stored(KvCacheDtype.FP8, kv);
    for (int i = 0; i < kv.length; i++) {
      assertEquals(kv[i], auto[i]);
      assertEquals(Bf16.round(kv[i]), bf16[i]);
      assertEquals(Fp8E4M3.round(kv[i]), fp8[i]);
    }
    assertEquals(448f, fp8[2], "saturated");
    assertEquals(1f, fp8[0]);
  }
}
