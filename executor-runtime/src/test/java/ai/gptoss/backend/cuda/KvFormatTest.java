package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.BackendException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GPTOSS_CUDA_KV selects the KV element type and the kernel variant compiled for it. */
class KvFormatTest {
  @Test
  void parsesTheSettingAndNamesItInErrors() {
    assertEquals(KvFormat.BF16, KvFormat.parse(null));
    assertEquals(KvFormat.BF16, KvFormat.parse(" BF16 "));
    assertEquals(KvFormat.F32, KvFormat.parse("f32"));
    assertEquals(KvFormat.F32, KvFormat.parse("float32"));
    BackendException e = assertThrows(BackendException.class, () -> KvFormat.parse("fp8"));
    assertTrue(e.getMessage().contains("GPTOSS_CUDA_KV=fp8"), e.getMessage());
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
