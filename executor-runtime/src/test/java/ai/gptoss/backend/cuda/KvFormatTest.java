package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The precision setting selects the KV element type and the kernel variant compiled for it. */
class KvFormatTest {
  @Test
  void parsesThePrecisionAndNamesTheOptionInErrors() {
    assertEquals(Precision.EXACT, Precision.parse(null, "--precision"));
    assertEquals(Precision.BALANCED, Precision.parse("balanced", "--precision"));
    assertEquals(Precision.EXACT, Precision.parse(" Exact ", "--precision"));
    assertEquals(Precision.FAST, Precision.parse("fast", "--precision"));
    assertEquals(Precision.BALANCED, Precision.fromOption("balanced", "--precision"), "a given option wins");
    assertTrue(Precision.BALANCED.bf16Kv && Precision.BALANCED.pairedActivations);
    assertTrue(!Precision.EXACT.bf16Kv && Precision.EXACT.pairedActivations);
    assertTrue(Precision.FAST.bf16Kv && !Precision.FAST.pairedActivations);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8", "--precision"));
    assertTrue(e.getMessage().contains("--precision=fp8"), e.getMessage());
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
}
