package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
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

  @Test
  void anEngineOverSeveralGpusPlansEachForOneRanksShare() {
    long rank = 31 * GIB; // ~ gpt-oss-120b's 61 GiB over 2 ranks
    long perGpu = (long) (TOTAL * 0.9) - rank - GpuMemoryPlan.ENGINE_OVERHEAD_BYTES;
    assertEquals(2 * perGpu, GpuMemoryPlan.engineKvBudget(List.of(0, 1), g -> TOTAL, rank, MIN_KV, Map.of(), 0.9));
    // One rank: exactly the one-GPU plan.
    assertEquals(GpuMemoryPlan.plan("cuda:3", TOTAL, WEIGHTS, MIN_KV, Map.of(), 0.9).kvBudgetBytes(),
        GpuMemoryPlan.engineKvBudget(List.of(3), g -> TOTAL, WEIGHTS, MIN_KV, Map.of(), 0.9));
    // The tightest GPU sets every rank's pages.
    long small = (long) (40 * GIB * 0.9) - rank - GpuMemoryPlan.ENGINE_OVERHEAD_BYTES;
    assertEquals(2 * small, GpuMemoryPlan.engineKvBudget(List.of(0, 1), g -> g == 1 ? 40 * GIB : TOTAL, rank, MIN_KV,
        Map.of(), 0.9));
    // Two ranks on one GPU (checking): it holds both ranks' weights.
    long shared = (long) (TOTAL * 0.9) - 2 * 20 * GIB - GpuMemoryPlan.ENGINE_OVERHEAD_BYTES;
    assertEquals(shared / 2 * 2, GpuMemoryPlan.engineKvBudget(List.of(0, 0), g -> TOTAL, 20 * GIB, MIN_KV, Map.of(), 0.9));
  }

  @Test
  void aModelTooLargeForOneGpuFitsFourWhenEachHoldsARanksShare() {
    long whole = 61 * GIB, total = 24 * GIB;
    var one = assertThrows(IllegalStateException.class,
        () -> GpuMemoryPlan.engineKvBudget(List.of(0), g -> total, whole, MIN_KV, Map.of(), 0.9));
    assertTrue(one.getMessage().contains("cuda:0") && one.getMessage().contains("weights 61.00 GiB"), one.getMessage());
    long rank = 17 * GIB; // a rank's share of the 61 GiB model with N = 4 (~15 GiB), with room to spare
    long kv = GpuMemoryPlan.engineKvBudget(List.of(0, 1, 2, 3), g -> total, rank, MIN_KV, Map.of(), 0.9);
    assertEquals(4 * ((long) (total * 0.9) - rank - GpuMemoryPlan.ENGINE_OVERHEAD_BYTES), kv);
    var tight = assertThrows(IllegalStateException.class,
        () -> GpuMemoryPlan.engineKvBudget(List.of(0, 1), g -> g == 1 ? 16 * GIB : total, rank, MIN_KV, Map.of(), 0.9));
    assertTrue(tight.getMessage().contains("cuda:1 (1 of its 2 ranks)") && tight.getMessage().contains("weights 17.00 GiB"),
        tight.getMessage());
  }
}
