package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.CudaAvailability;
import ai.gptoss.backend.CudaAvailability.Reason;
import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.TestData;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskContextImpl;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Which device a task's engine runs on ({@link DeviceChoice}, with the machine's GPUs injected), and that
 * starting on a GPU that cannot be used fails loudly, naming the GPU and the way out (this test machine has no
 * CUDA runtime, or no GPU 7).
 */
class GpuAssignmentTest {
  private static final CudaAvailability TWO = CudaAvailability.devices(2);
  private static final CudaAvailability NO_DRIVER = CudaAvailability.none(Reason.NO_DRIVER, "neither /dev/nvidiactl nor ...");
  private static final CudaAvailability NO_RUNTIME =
      CudaAvailability.none(Reason.NO_RUNTIME, "java.lang.UnsatisfiedLinkError: no jnicudart");
  private static final CudaAvailability NO_DEVICE =
      CudaAvailability.none(Reason.NO_DEVICE, "cudaGetDeviceCount: no CUDA-capable device is detected (100)");

  private static TaskContext task(String... gpuAddresses) {
    Map<String, ResourceInformation> resources = gpuAddresses.length == 0 ? Map.of()
        : Map.of("gpu", new ResourceInformation("gpu", gpuAddresses));
    return new TaskContextImpl(0, 0, 0, 1L, 0, 1, null, new Properties(), null,
        org.apache.spark.executor.TaskMetrics.empty(), 1,
        scala.collection.immutable.Map.from(CollectionConverters.asScala(resources)));
  }

  @Test
  void theGpuSparkAssignedTheTaskWinsUnlessDeviceIsCpu() {
    GptossOptions auto = GptossOptions.defaults();
    GptossOptions cpu = GptossOptions.resolve(Map.of("device", "cpu"), k -> null);
    assertEquals("cuda:7", ExecutorEngines.device(auto, task("7")).device());
    assertEquals("cuda:1", ExecutorEngines.device(auto, task("1", "2")).device());
    assertEquals("cpu", ExecutorEngines.device(cpu, task("7")).device());
    // Without an assigned GPU, auto is a GPU this JVM sees (CI has none: the CPU).
    String visible = CudaAvailability.probe().count() > 0 ? "cuda:0" : "cpu";
    assertEquals(visible, ExecutorEngines.device(auto, task()).device());
    assertEquals(visible, ExecutorEngines.device(auto, null).device());
    for (CudaAvailability gpus : new CudaAvailability[] {TWO, NO_DRIVER}) {
      DeviceChoice c = DeviceChoice.resolve("auto", "3", 5, gpus);
      assertEquals("cuda:3", c.device());
      assertNull(c.warning());
      assertTrue(c.how().contains("assigned by Spark"), c.how());
      assertEquals("cuda:3", DeviceChoice.resolve("cuda", "3", 5, gpus).device());
    }
    DeviceChoice cpuAnyway = DeviceChoice.resolve("cpu", "3", 0, TWO);
    assertEquals("cpu", cpuAnyway.device());
    assertTrue(cpuAnyway.warning().contains("spark.gptoss.device=cpu") && cpuAnyway.warning().contains("GPU 3")
        && cpuAnyway.warning().contains("hundreds of times slower"), cpuAnyway.warning());
  }

  @Test
  void aBadGpuAddressFromSparkFailsNamingIt() {
    var e = assertThrows(IllegalStateException.class,
        () -> ExecutorEngines.device(GptossOptions.defaults(), task("GPU-3f2a")));
    assertTrue(e.getMessage().contains("GPU-3f2a") && e.getMessage().contains("discoveryScript"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> DeviceChoice.resolve("auto", "-1", 0, TWO));
  }

  @Test
  void withoutAssignedGpusAutoSpreadsTasksOverTheVisibleGpus() {
    Set<String> used = new TreeSet<>();
    for (int partition = 0; partition < 6; partition++) {
      DeviceChoice c = DeviceChoice.resolve("auto", null, partition, TWO);
      assertEquals("cuda:" + partition % 2, c.device());
      assertNull(c.warning());
      assertTrue(c.how().contains("visible GPU " + partition % 2 + " of 2"), c.how());
      assertEquals(c.device(), DeviceChoice.resolve("cuda", null, partition, TWO).device());
      used.add(c.device());
    }
    assertEquals(Set.of("cuda:0", "cuda:1"), used);
    DeviceChoice cpu = DeviceChoice.resolve("cpu", null, 0, TWO);
    assertEquals("cpu", cpu.device());
    assertTrue(cpu.warning().contains("2 CUDA devices") && cpu.warning().contains("hundreds of times slower"), cpu.warning());
  }

  @Test
  void withoutAnyGpuAutoRunsOnTheCpuAndTheWarningSaysWhy() {
    Map<CudaAvailability, String> why = Map.of(NO_DRIVER, "no NVIDIA driver",
        NO_RUNTIME, "the CUDA 13 runtime libraries could not be loaded (java.lang.UnsatisfiedLinkError",
        NO_DEVICE, "no CUDA device (cudaGetDeviceCount");
    for (var e : why.entrySet()) {
      DeviceChoice c = DeviceChoice.resolve("auto", null, 3, e.getKey());
      assertEquals("cpu", c.device());
      assertTrue(c.warning().contains(e.getValue()) && c.warning().contains("hundreds of times slower"), c.warning());
      assertNull(DeviceChoice.resolve("cpu", null, 3, e.getKey()).warning(), "device=cpu without GPUs is no surprise");
    }
  }

  @Test
  void explicitCudaNeverFallsBackToTheCpu() {
    for (CudaAvailability none : new CudaAvailability[] {NO_DRIVER, NO_RUNTIME, NO_DEVICE}) {
      var cuda = assertThrows(IllegalStateException.class, () -> DeviceChoice.resolve("cuda", null, 0, none));
      assertTrue(cuda.getMessage().contains("device=cuda") && cuda.getMessage().contains(none.reason().text()),
          cuda.getMessage());
      var cuda1 = assertThrows(IllegalStateException.class, () -> DeviceChoice.resolve("cuda:1", null, 0, none));
      assertTrue(cuda1.getMessage().contains("device=cuda:1") && cuda1.getMessage().contains(none.reason().text()),
          cuda1.getMessage());
    }
    assertEquals("cuda:1", DeviceChoice.resolve("cuda:1", null, 0, TWO).device());
    assertEquals("cuda:1", DeviceChoice.resolve("cuda:1", "0", 0, TWO).device());
    var outOfRange = assertThrows(IllegalStateException.class, () -> DeviceChoice.resolve("cuda:2", null, 0, TWO));
    assertTrue(outOfRange.getMessage().contains("device=cuda:2") && outOfRange.getMessage().contains("2 CUDA devices")
        && outOfRange.getMessage().contains("cuda:0 to cuda:1"), outOfRange.getMessage());
  }

  @Test
  void theDeviceOptionIsParsedAndValidated() {
    assertEquals("cuda:3", GptossOptions.resolve(Map.of("device", " CUDA:3 "), k -> null).device());
    assertEquals("cuda", GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.device", "cuda")::get).device());
    for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", "tpu"}) {
      var e = assertThrows(IllegalArgumentException.class, () -> GptossOptions.resolve(Map.of("device", bad), k -> null));
      assertTrue(e.getMessage().contains("'device'") && e.getMessage().contains("cuda:N"), e.getMessage());
    }
  }

  @Test
  void anUnusableGpuFailsAtEngineStartNamingIt() {
    org.apache.spark.TaskContext$.MODULE$.setTaskContext(task("7"));
    try {
      var e = assertThrows(IllegalStateException.class,
          () -> ExecutorEngines.get(GptossOptions.resolve(Map.of("model", TestData.resource("tiny-a").toString()), k -> null)));
      assertTrue(e.getMessage().contains("GPU 7") && e.getMessage().contains("spark.gptoss.device=cpu"), e.getMessage());
    } finally {
      org.apache.spark.TaskContext$.MODULE$.unset();
    }
  }
}
