package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.gptoss.Golden;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * On a machine with a GPU only (skipped elsewhere, CI included): opening tiny-a, capturing decode
 * graphs and closing, six times over, loses no device memory (cudaMemGetInfo). The same check runs
 * in {@link GraphCheck} on the GPU machine.
 */
class DecodeGraphsGpuTest {
  static boolean gpuPresent() {
    if (!Files.exists(Paths.get("/dev/nvidiactl")) && !Files.exists(Paths.get("/proc/driver/nvidia/version"))) return false;
    try {
      return CudaDevices.count() > 0;
    } catch (LinkageError e) {
      return false;
    }
  }

  @Test
  void closeAndReopenWithGraphsLeaksNoDeviceMemory() {
    assumeTrue(gpuPresent(), "no GPU on this machine");
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      w = ModelWeights.load(ckpt);
    }
    long[] free = GraphCheck.freeAfterCycles(w, 6);
    long lost = free[1] - free[free.length - 1];
    assertTrue(lost <= 2L << 20, "free device memory after each close " + Arrays.toString(free) + ": " + lost + " bytes lost");
  }
}
