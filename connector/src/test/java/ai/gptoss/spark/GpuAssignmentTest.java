package ai.gptoss.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskContextImpl;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The engine is bound to the GPU Spark assigned the task ({@code TaskContext.resources().get("gpu")}), and
 * starting it there fails loudly, naming the GPU and the way out, when the GPU cannot be used (this test
 * machine has no CUDA runtime, or no GPU 7).
 */
class GpuAssignmentTest {
  private static TaskContext task(String... gpuAddresses) {
    Map<String, ResourceInformation> resources = gpuAddresses.length == 0 ? Map.of()
        : Map.of("gpu", new ResourceInformation("gpu", gpuAddresses));
    return new TaskContextImpl(0, 0, 0, 1L, 0, 1, null, new Properties(), null,
        org.apache.spark.executor.TaskMetrics.empty(), 1,
        scala.collection.immutable.Map.from(CollectionConverters.asScala(resources)));
  }

  @Test
  void theDeviceIsTheTasksGpu() {
    GptossOptions auto = GptossOptions.defaults();
    GptossOptions cpu = GptossOptions.resolve(Map.of("device", "cpu"), k -> null);
    assertEquals("cuda:7", ExecutorEngines.device(auto, task("7")));
    assertEquals("cuda:1", ExecutorEngines.device(auto, task("1", "2")));
    assertEquals("cpu", ExecutorEngines.device(cpu, task("7")));
    assertEquals("cpu", ExecutorEngines.device(auto, task()));
    assertEquals("cpu", ExecutorEngines.device(auto, null));
    var e = assertThrows(IllegalStateException.class, () -> ExecutorEngines.device(auto, task("GPU-3f2a")));
    assertTrue(e.getMessage().contains("GPU-3f2a"), e.getMessage());
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
