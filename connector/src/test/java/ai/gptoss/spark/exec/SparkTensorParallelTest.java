package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.gptoss.backend.Backends;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.TestData;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskContextImpl;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/**
 * An executor owning N GPUs hosts one engine over them with {@code tensor_parallel_size=N}: which GPUs a task's engine
 * spans ({@link ExecutorGpus}, pure), that tasks naming different GPUs share that one engine while
 * {@code tensor_parallel_size=1} keeps one engine per GPU, and that an engine never shares a GPU with another
 * ({@link EngineRegistry}: the overlapping idle engine is closed, a busy one waited for, or an error with
 * {@code engine_switch=fail}). The registry's loader is a stub starting CPU engines of tiny-a under any device name.
 */
class SparkTensorParallelTest {
  static final GptossOptions TP2 = GptossOptions.resolve(Map.of("tensor_parallel_size", "2"), k -> null);
  static final GptossOptions TP1 = GptossOptions.defaults();
  static final List<String> FOUR = List.of("0", "1", "2", "3");

  final AtomicInteger loads = new AtomicInteger();
  final EngineRegistry registry = new EngineRegistry(this::load, device -> {});
  final ExecutorService pool = Executors.newCachedThreadPool();

  private ExecutorEngine load(EngineSettings key, String how) {
    loads.incrementAndGet();
    return ExecutorEngine.start(key, Backends.open(TestData.resource("tiny-a"), "cpu", Precision.EXACT, KvCacheDtype.AUTO));
  }

  @AfterEach
  void close() {
    pool.shutdownNow();
    registry.closeAll();
    ExecutorEngines.executorResources(Map.of());
  }

  private static TaskContext task(int partition, String... gpus) {
    Map<String, ResourceInformation> resources = gpus.length == 0 ? Map.of() : Map.of("gpu", new ResourceInformation("gpu", gpus));
    return new TaskContextImpl(0, 0, partition, partition, 0, 1, null, new Properties(), null,
        org.apache.spark.executor.TaskMetrics.empty(), 1, scala.collection.immutable.Map.from(CollectionConverters.asScala(resources)));
  }

  private static String span(List<String> gpus, int n, String taskGpu) {
    return new ExecutorGpus(gpus, ExecutorGpus.PLUGIN).span(n, taskGpu, 0).device();
  }

  @Test
  void theExecutorsGpusFormGroupsOfNAndATaskUsesTheGroupOfItsGpu() {
    for (String t : FOUR) assertEquals("cuda:0,1,2,3", span(FOUR, 4, t));
    assertEquals("cuda:0,1", span(FOUR, 2, "0"));
    assertEquals("cuda:0,1", span(FOUR, 2, "1"));
    assertEquals("cuda:2,3", span(FOUR, 2, "2"));
    assertEquals("cuda:2,3", span(FOUR, 2, " 3 "));
    // Spark's order, not sorted: the addresses are CUDA device numbers as the discovery script listed them.
    assertEquals("cuda:5,4", span(List.of("5", "4"), 2, "4"));
    // Three GPUs, two ranks: GPU 2 is left idle and its tasks use the last group.
    DeviceChoice odd = new ExecutorGpus(List.of("0", "1", "2"), ExecutorGpus.PLUGIN).span(2, "2", 0);
    assertEquals("cuda:0,1", odd.device());
    assertTrue(odd.how().contains("[2] idle") && odd.how().contains("tensor_parallel_size=2"), odd.how());
    assertNull(odd.warning());
    // No task GPU: the partition picks the group.
    ExecutorGpus visible = ExecutorGpus.of(List.of(), List.of(), () -> 4);
    assertEquals(ExecutorGpus.VISIBLE, visible.source());
    assertEquals("cuda:2,3", visible.span(2, null, 3).device());
    assertEquals("cuda:0,1", visible.span(2, null, 4).device());
    assertNull(ExecutorGpus.of(List.of(), List.of(), () -> 0));
  }

  @Test
  void theSourcesAreThePluginsListThenTheTasksThenTheVisibleDevices() {
    ExecutorGpus plugin = ExecutorGpus.of(FOUR, List.of("2"), () -> fail("the plugin's list is enough"));
    assertEquals(new ExecutorGpus(FOUR, ExecutorGpus.PLUGIN), plugin);
    ExecutorGpus task = ExecutorGpus.of(List.of(), List.of("3", "1"), () -> fail("the task's GPUs are enough"));
    assertEquals(ExecutorGpus.TASK, task.source());
    assertEquals("cuda:3,1", task.span(2, "3", 0).device());
  }

  @Test
  void fewerGpusThanRanksFailsNamingTheSettingAndTheGpus() {
    var e = assertThrows(IllegalStateException.class, () -> span(List.of("0", "1"), 4, "0"));
    String m = e.getMessage();
    assertTrue(m.contains("tensor_parallel_size=4") && m.contains("over 4 GPUs") && m.contains("[0, 1]")
        && m.contains("spark.executor.resource.gpu.amount to at least 4") && m.contains("spark.gptoss.tensor_parallel_size"), m);
    var t = assertThrows(IllegalStateException.class, () -> ExecutorGpus.of(List.of(), List.of("1"), () -> 8).span(2, "1", 0));
    assertTrue(t.getMessage().contains("the task's GPUs") && t.getMessage().contains("spark.plugins=ai.gptoss.spark.GptossPlugin")
        && t.getMessage().contains("spark.task.resource.gpu.amount=2") && t.getMessage().contains("[1]"), t.getMessage());
    var bad = assertThrows(IllegalStateException.class, () -> span(List.of("GPU-a", "GPU-b"), 2, "GPU-a"));
    assertTrue(bad.getMessage().contains("GPU-a") && bad.getMessage().contains("discoveryScript"), bad.getMessage());
  }

  @Test
  void tasksOfDifferentGpusShareOneEngineWithTensorParallelAndOnePerGpuWithout() {
    ExecutorEngines.executorResources(Map.of("gpu", new ResourceInformation("gpu", new String[] {"0", "1"})));
    TaskContext t0 = task(0, "0"), t1 = task(1, "1");
    assertEquals("cuda:0,1", ExecutorEngines.device(TP2, t0).device());
    assertEquals("cuda:0,1", ExecutorEngines.device(TP2, t1).device());
    assertEquals("cuda:0", ExecutorEngines.device(TP1, t0).device());
    assertEquals("cuda:1", ExecutorEngines.device(TP1, t1).device());
    assertEquals("cpu", ExecutorEngines.device(GptossOptions.resolve(Map.of("tensor_parallel_size", "2", "device", "cpu"),
        k -> null), t1).device());
    ExecutorEngine a = registry.acquire(EngineIdentity.of(TP2, ExecutorEngines.device(TP2, t0).device()), "t", 1, false, () -> {});
    ExecutorEngine b = registry.acquire(EngineIdentity.of(TP2, ExecutorEngines.device(TP2, t1).device()), "t", 2, false, () -> {});
    assertSame(a, b);
    assertEquals(1, loads.get());
    assertEquals(2, registry.leases("cuda:0,1"));
    registry.closeAll();
    ExecutorEngine c = registry.acquire(EngineIdentity.of(TP1, ExecutorEngines.device(TP1, t0).device()), "t", 3, false, () -> {});
    ExecutorEngine d = registry.acquire(EngineIdentity.of(TP1, ExecutorEngines.device(TP1, t1).device()), "t", 4, false, () -> {});
    assertTrue(c != d && c.device().equals("cuda:0") && d.device().equals("cuda:1"));
    ExecutorEngines.executorResources(Map.of("gpu", new ResourceInformation("gpu", new String[] {"0"})));
    var e = assertThrows(IllegalStateException.class, () -> ExecutorEngines.device(TP2, task(0, "0")));
    assertTrue(e.getMessage().contains("tensor_parallel_size=2") && e.getMessage().contains("[0]"), e.getMessage());
  }

  @Test
  void anEngineOverSeveralGpusClosesAnIdleEngineOnOneOfThem() throws Exception {
    EngineSettings one = EngineIdentity.of(TP1, "cuda:1"), other = EngineIdentity.of(TP1, "cuda:2");
    ExecutorEngine idle = registry.acquire(one, "t", 1, false, () -> {});
    registry.acquire(other, "t", 2, false, () -> {});
    registry.release("cuda:1", 1);
    ExecutorEngine both = registry.acquire(EngineIdentity.of(TP2, "cuda:0,1"), "t", 3, false, () -> {});
    List<ExecutorEngine> live = registry.live();
    assertEquals(2, live.size(), "the engine on GPU 1 was closed; GPU 2's stays");
    assertTrue(live.contains(both) && !live.contains(idle));
    // And back: a one-GPU engine on GPU 0 waits for the two-GPU engine to go idle, then replaces it.
    Future<ExecutorEngine> zero = pool.submit(() -> registry.acquire(EngineIdentity.of(TP1, "cuda:0"), "t", 4, false, () -> {}));
    assertThrows(TimeoutException.class, () -> zero.get(300, TimeUnit.MILLISECONDS));
    registry.release("cuda:0,1", 3);
    assertEquals("cuda:0", zero.get(10, TimeUnit.SECONDS).device());
    assertTrue(!registry.live().contains(both));
  }

  @Test
  void aBusyOverlappingEngineFailsFastOrWhenTheTaskHoldsAnEngine() {
    registry.acquire(EngineIdentity.of(TP1, "cuda:1"), "t", 1, false, () -> {});
    EngineSettings tp2 = EngineIdentity.of(TP2, "cuda:0,1");
    var fast = assertThrows(IllegalStateException.class, () -> registry.acquire(tp2, "t", 2, true, () -> {}));
    assertTrue(fast.getMessage().contains("GPUs [1]") && fast.getMessage().contains("cuda:1")
        && fast.getMessage().contains("engine_switch=fail"), fast.getMessage());
    registry.acquire(EngineIdentity.of(TP1, "cuda:3"), "t", 5, false, () -> {});
    var held = assertThrows(IllegalStateException.class, () -> registry.acquire(tp2, "t", 5, false, () -> {}));
    assertTrue(held.getMessage().contains("already uses an engine"), held.getMessage());
    assertEquals(2, loads.get());
  }

  @Test
  void anExplicitDeviceListsOneGpuPerRank() {
    GptossOptions shared = GptossOptions.resolve(Map.of("device", " CUDA:0, 0 ", "tensor_parallel_size", "2"), k -> null);
    assertEquals("cuda:0,0", shared.device());
    var two = ai.gptoss.backend.CudaAvailability.devices(2);
    assertEquals("cuda:1,0", DeviceChoice.resolve("cuda:1,0", "0", 0, two).device(), "an explicit list wins");
    var missing = assertThrows(IllegalStateException.class, () -> DeviceChoice.resolve("cuda:0,2", null, 0, two));
    assertTrue(missing.getMessage().contains("device=cuda:0,2") && missing.getMessage().contains("2 CUDA devices"),
        missing.getMessage());
    var count = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of("device", "cuda:0,1"), k -> null));
    assertTrue(count.getMessage().contains("'device'") && count.getMessage().contains("lists 2 GPUs")
        && count.getMessage().contains("tensor_parallel_size is 1"), count.getMessage());
    for (String bad : new String[] {"cuda:0,", "cuda:0,x", "cuda:0,-1", "cuda:,1"}) {
      var e = assertThrows(IllegalArgumentException.class,
          () -> GptossOptions.resolve(Map.of("device", bad, "tensor_parallel_size", "2"), k -> null));
      assertTrue(e.getMessage().contains("cuda:A,B,..."), e.getMessage());
    }
  }
}
