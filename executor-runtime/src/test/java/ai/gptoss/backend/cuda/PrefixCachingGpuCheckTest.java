package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import org.junit.jupiter.api.Test;

/**
 * {@link PrefixCachingGpuCheck} on the pure-Java backend (CI has no GPU): the checker the coordinator runs on
 * the GPU passes here, on both models, so a FAIL on the device is the CUDA backend's, not the checker's.
 */
class PrefixCachingGpuCheckTest {
  @Test
  void everyCheckPassesOnTheCpuBackend() {
    GpuChecks checks = PrefixCachingGpuCheck.run("cpu", Golden.dir("tiny-a").getParent());
    assertTrue(checks.failures.isEmpty(), String.join("\n", checks.lines));
    assertEquals(6, checks.lines.size(), String.join("\n", checks.lines)); // load, mixed batch, outlive; two models
    for (String line : checks.lines) assertTrue(line.startsWith("CHECK prefix-caching [cpu] ") && line.contains(" PASS "), line);
  }
}
