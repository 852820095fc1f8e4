package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sizing the engine beside the RAPIDS Accelerator's pool (pure arithmetic: no GPU, no RAPIDS jar). */
class GpuMemoryPlanTest {
  static final long GIB = 1L << 30;
  static final long TOTAL = 80 * GIB, WEIGHTS = 13 * GIB, MIN_KV = GIB / 4;

  private static Map<String, String> rapids(String... kv) {
    Map<String, String> m = new HashMap<>();
    m.put("spark.plugins", "com.nvidia.spark.SQLPlugin,ai.gptoss.spark.GptossPlugin");
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  @Test
  void withoutRapidsTheEngineTakesItsFraction() {
    GpuMemoryPlan p = GpuMemoryPlan.plan("cuda:0", TOTAL, WEIGHTS, MIN_KV, Map.of(), 0.9);
    assertEquals((long) (TOTAL * 0.9), p.engineBytes());
    assertEquals(p.engineBytes() - WEIGHTS - GpuMemoryPlan.ENGINE_OVERHEAD_BYTES, p.kvBudgetBytes());
    assertEquals(0, p.rapidsPoolBytes());
    // RAPIDS on the classpath but disabled for SQL counts as absent.
    assertEquals(0, GpuMemoryPlan.plan("cuda:0", TOTAL, WEIGHTS, MIN_KV,
        rapids("spark.rapids.sql.enabled", "false"), 0.9).rapidsPoolBytes());
  }

  @Test
  void rapidsDefaultsLeaveNoRoomAndTheErrorSaysWhichSettingToChange() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> GpuMemoryPlan.plan("cuda:1", TOTAL, WEIGHTS, MIN_KV, rapids(), 0.9));
    String m = e.getMessage();
    assertTrue(m.contains("cuda:1") && m.contains("spark.rapids.memory.gpu.allocFraction=1.0"), m);
    assertTrue(m.contains("set spark.rapids.memory.gpu.allocFraction to at most 0.81"), m);
  }

  @Test
  void theSuggestedAllocFractionWorks() {
    GpuMemoryPlan p = GpuMemoryPlan.plan("cuda:0", TOTAL, WEIGHTS, MIN_KV,
        rapids("spark.rapids.memory.gpu.allocFraction", "0.81"), 0.9);
    assertTrue(p.kvBudgetBytes() >= MIN_KV, p.toString());
  }

  @Test
  void documentedConfigurationFits() {
    // docs/rapids.md: allocFraction 0.5, reserve 1g on an 80 GiB GPU with gpt-oss-20b.
    GpuMemoryPlan p = GpuMemoryPlan.plan("cuda:0", TOTAL, WEIGHTS, MIN_KV,
        rapids("spark.rapids.memory.gpu.allocFraction", "0.5", "spark.rapids.memory.gpu.reserve", "1g",
            "spark.rapids.memory.gpu.pool", "ASYNC"), 0.9);
    assertEquals(40 * GIB, p.rapidsPoolBytes());
    assertEquals(39 * GIB, p.engineBytes());
    assertEquals(25 * GIB, p.kvBudgetBytes());
  }

  @Test
  void poolNoneMeansNoFixedRapidsShare() {
    GpuMemoryPlan p = GpuMemoryPlan.plan("cuda:0", TOTAL, WEIGHTS, MIN_KV,
        rapids("spark.rapids.memory.gpu.pool", "none"), 0.5);
    assertEquals(40 * GIB, p.engineBytes());
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> GpuMemoryPlan.plan("cuda:0", 16 * GIB, WEIGHTS, MIN_KV, rapids("spark.rapids.memory.gpu.pool", "NONE"), 0.5));
    assertTrue(e.getMessage().contains("spark.gptoss.gpu.memory_fraction"), e.getMessage());
  }

  @Test
  void badSettingsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> GpuMemoryPlan.plan("cuda:0", TOTAL, WEIGHTS, MIN_KV,
        rapids("spark.rapids.memory.gpu.reserve", "lots"), 0.9));
    assertTrue(e.getMessage().contains("spark.rapids.memory.gpu.reserve"), e.getMessage());
    assertEquals(640L << 20, GpuMemoryPlan.parseBytes("k", "640m"));
    assertEquals(1L << 30, GpuMemoryPlan.parseBytes("k", "1g"));
    assertEquals(1L << 30, GpuMemoryPlan.parseBytes("k", "1gb"));
    assertEquals(4096, GpuMemoryPlan.parseBytes("k", "4096"));
  }
}
