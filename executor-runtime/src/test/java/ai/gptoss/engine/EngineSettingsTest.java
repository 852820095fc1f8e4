package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.model.EmbeddedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EngineSettingsTest {
  static final EngineSettings FAST = new EngineSettings("m", "auto", Precision.FAST, KvCacheDtype.FP8, 64, 4096, 0.5, false);

  @Test
  void onTheCpuTheGpuOnlySettingsAreDroppedSoTheyDoNotMakeAnotherEngine() {
    EngineSettings cpu = FAST.onDevice("cpu");
    assertNull(cpu.precision());
    assertEquals(0, cpu.gpuMemoryFraction());
    assertEquals(KvCacheDtype.FP8, cpu.kvCacheDtype(), "both backends honour the K/V type");
    EngineSettings exact = new EngineSettings("m", "auto", Precision.EXACT, KvCacheDtype.FP8, 64, 4096, 0.9, false);
    assertEquals(cpu, exact.onDevice("cpu"));
    assertNotEquals(FAST.onDevice("cuda:0"), exact.onDevice("cuda:0"));
    assertNotEquals(FAST.onDevice("cuda:0"), FAST.onDevice("cuda:1"), "the device is part of the identity");
    assertEquals(Precision.FAST, FAST.onDevice("cuda:0").precision());
    assertTrue(FAST.onDevice("cuda:1").onGpu());
  }

  @Test
  void theEngineConfigCarriesTheStepBudgetAndPrefixCaching() {
    EngineConfig c = FAST.engineConfig();
    assertEquals(64, c.maxSeqsPerStep());
    assertEquals(4096, c.maxTokensPerStep());
    assertEquals(false, c.prefixCaching());
    assertEquals(EngineConfig.DEFAULT_PAGE_SIZE, c.pageSize());
  }

  @Test
  void invalidValuesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new EngineSettings("", "cpu", null, KvCacheDtype.AUTO, -1, 0, 0, true));
    assertThrows(IllegalArgumentException.class, () -> new EngineSettings("", "cpu", null, KvCacheDtype.AUTO, 0, -1, 0, true));
    assertThrows(IllegalArgumentException.class, () -> new EngineSettings("", "cpu", null, KvCacheDtype.AUTO, 0, 0, 1.5, true));
    assertThrows(NullPointerException.class, () -> new EngineSettings("", "cpu", null, null, 0, 0, 0, true));
  }

  @Test
  void theEnvironmentsSettingsAreParsedInOnePlaceNamingTheVariable() {
    java.util.Map<String, String> env = new java.util.HashMap<>();
    EngineSettings none = EngineSettings.fromEnvironment("", "cuda:0", env::get);
    assertEquals(Precision.DEFAULT, none.precision());
    assertEquals(KvCacheDtype.AUTO, none.kvCacheDtype());
    assertEquals(new EngineSettings("", "cuda:0", Precision.DEFAULT, KvCacheDtype.AUTO, 0, 0, 0, true), none);
    env.put("GPTOSS_PRECISION", "exact");
    env.put("GPTOSS_KV_CACHE_DTYPE", "fp8");
    EngineSettings set = EngineSettings.fromEnvironment("m", "cuda:1", env::get);
    assertEquals(Precision.EXACT, set.precision());
    assertEquals(KvCacheDtype.FP8, set.kvCacheDtype());
    env.put("GPTOSS_KV_CACHE_DTYPE", "fp4");
    var e = assertThrows(BackendException.class, () -> EngineSettings.fromEnvironment("", "cpu", env::get));
    assertEquals("GPTOSS_KV_CACHE_DTYPE=fp4: expected auto (default), bf16 or fp8", e.getMessage());
    env.put("GPTOSS_PRECISION", "half");
    var p = assertThrows(IllegalArgumentException.class, () -> EngineSettings.fromEnvironment("", "cpu", env::get));
    assertTrue(p.getMessage().startsWith("GPTOSS_PRECISION=half: expected exact, balanced or fast"), p.getMessage());
  }

  @Test
  void opensItsBackendOnItsDevice() {
    EngineSettings s = new EngineSettings("", "cpu", null, KvCacheDtype.BF16, 0, 0, 0, true);
    try (Backend b = s.open(EmbeddedModel.path())) {
      assertEquals("cpu", b.name());
    }
    assumeTrue(!Files.exists(Path.of("/dev/nvidiactl")) && !Files.exists(Path.of("/proc/driver/nvidia/version")),
        "a machine without an NVIDIA driver");
    var e = assertThrows(BackendException.class, () -> FAST.onDevice("cuda:0").open(EmbeddedModel.path()));
    assertEquals("--device cuda:0: no NVIDIA driver on this machine", e.getMessage());
  }

  @Test
  void parallelismIsPartOfTheIdentityAndOpensTheCpuTwin() {
    EngineSettings tp2 = FAST.withParallel(new ParallelPlan(2, false));
    assertNotEquals(FAST.onDevice("cpu"), tp2.onDevice("cpu"));
    assertNotEquals(tp2, FAST.withParallel(new ParallelPlan(2, true)));
    assertEquals(FAST, FAST.withParallel(new ParallelPlan(1, true)), "expert parallel over one rank is none");
    assertEquals(new ParallelPlan(2, false), tp2.onDevice("cuda:0").parallel());
    EngineSettings cpu = new EngineSettings("", "cpu", null, KvCacheDtype.AUTO, 0, 0, 0, true, new ParallelPlan(2, true));
    try (Backend b = cpu.open(EmbeddedModel.path())) {
      assertEquals("cpu-tp2-ep", b.name());
    }
    // on CUDA the plan is checked against the model before any GPU is looked for
    var e = assertThrows(IllegalArgumentException.class,
        () -> FAST.withParallel(new ParallelPlan(3, false)).onDevice("cuda:0").open(EmbeddedModel.path()));
    assertTrue(e.getMessage().contains("tensor_parallel_size=3") && e.getMessage().contains("num_attention_heads=4"),
        e.getMessage());
  }
}
