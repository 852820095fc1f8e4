package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The precision setting (or GPTOSS_KV_CACHE_DTYPE) selects the KV element type and the kernel variant compiled for it. */
class KvFormatTest {
  @Test
  void parsesThePrecisionAndNamesTheOptionInErrors() {
    assertEquals(Precision.FAST, Precision.parse(null, "--precision"), "the default: fast, bf16 K/V");
    assertEquals(Precision.FAST, Precision.parse(" ", "--precision"));
    assertEquals(Precision.FAST, Precision.DEFAULT);
    assertEquals(KvFormat.BF16, KvFormat.choose(Precision.DEFAULT, KvCacheDtype.AUTO, 9, 0), "the default caches K/V in bf16");
    assertEquals(Precision.BALANCED, Precision.parse("balanced", "--precision"));
    assertEquals(Precision.EXACT, Precision.parse(" Exact ", "--precision"));
    assertEquals(Precision.FAST, Precision.parse("fast", "--precision"));
    assertEquals(Precision.BALANCED, Precision.fromOption("balanced", "--precision"), "a given option wins");
    assertTrue(Precision.BALANCED.bf16Kv && Precision.BALANCED.pairedActivations);
    assertTrue(!Precision.EXACT.bf16Kv && Precision.EXACT.pairedActivations);
    assertTrue(Precision.FAST.bf16Kv && !Precision.FAST.pairedActivations);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8", "--precision"));
    assertTrue(e.getMessage().contains("--precision=fp8: expected exact, balanced or fast (default)"), e.getMessage());
    assertEquals(2, KvFormat.BF16.bytesPerElement);
    assertEquals(4, KvFormat.F32.bytesPerElement);
  }

  @Test
  void variantDefinesReachNvrtcAndTheCacheKey() {
    assertArrayEquals(new String[] {"--gpu-architecture=sm_90a", "--std=c++17", "-default-device"},
        KernelCompiler.options("sm_90a", KvFormat.BF16.defines));
    assertArrayEquals(new String[] {"--gpu-architecture=sm_90a", "--std=c++17", "-default-device", "-DGPTOSS_KV_F32"},
        KernelCompiler.options("sm_90a", KvFormat.F32.defines));
    assertEquals(List.of("-DGPTOSS_KV_F32"), KvFormat.F32.defines);
  }

  @Test
  void precisionDecidesUnlessTheDtypeIsGiven() {
    assertEquals(KvFormat.F32, KvFormat.choose(Precision.EXACT, KvCacheDtype.AUTO, 9, 0));
    assertEquals(KvFormat.BF16, KvFormat.choose(Precision.FAST, KvCacheDtype.AUTO, 8, 0));
    assertEquals(KvFormat.BF16, KvFormat.choose(Precision.EXACT, KvCacheDtype.BF16, 8, 0));
    assertEquals(KvFormat.FP8, KvFormat.choose(Precision.FAST, KvCacheDtype.FP8, 9, 0));
    assertEquals(KvFormat.FP8, KvFormat.choose(Precision.FAST, KvCacheDtype.FP8, 8, 9));
    assertEquals(1, KvFormat.FP8.bytesPerElement);
    assertEquals("fp8", KvFormat.FP8.id());
    assertEquals(List.of("-DGPTOSS_KV_FP8"), KvFormat.FP8.defines);
  }

  @Test
  void fp8NeedsAdaOrHopper() {
    BackendException e = assertThrows(BackendException.class, () -> KvFormat.choose(Precision.FAST, KvCacheDtype.FP8, 8, 0));
    assertTrue(e.getMessage().contains("8.9"), e.getMessage());
  }
}
