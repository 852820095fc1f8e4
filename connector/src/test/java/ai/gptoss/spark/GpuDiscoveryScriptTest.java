package ai.gptoss.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/gpu-discovery.sh keeps Spark's discovery-script contract (its output parses with Spark's own
 * {@link ResourceInformation#parseJson}), numbers GPUs as CUDA does, and fails loudly without nvidia-smi.
 * A fake nvidia-smi stands in for the driver.
 */
class GpuDiscoveryScriptTest {
  private static final Path SCRIPT = Paths.get("..", "scripts", "gpu-discovery.sh").toAbsolutePath().normalize();

  @TempDir
  Path bin;

  private record Run(int exit, String stdout, String stderr) {}

  /** The first of {@code candidates} that exists (bash and grep live in /bin or /usr/bin). */
  private static Path which(String... candidates) {
    for (String c : candidates) {
      if (Files.isExecutable(Paths.get(c))) return Paths.get(c);
    }
    throw new IllegalStateException("none of " + String.join(", ", candidates) + " exists");
  }

  /** Runs the script with only {@link #bin} on its PATH (grep, and nvidia-smi where a test put one). */
  private Run run(Map<String, String> env) throws IOException, InterruptedException {
    Path grep = bin.resolve("grep");
    if (!Files.exists(grep)) executable(grep, "exec " + which("/usr/bin/grep", "/bin/grep") + " \"$@\"");
    ProcessBuilder pb = new ProcessBuilder(which("/bin/bash", "/usr/bin/bash").toString(), SCRIPT.toString());
    pb.environment().remove("CUDA_VISIBLE_DEVICES");
    pb.environment().put("PATH", bin.toString());
    pb.environment().putAll(env);
    Path out = Files.createTempFile(bin, "out", ".txt"), err = Files.createTempFile(bin, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    int exit = p.waitFor();
    return new Run(exit, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  private void fakeNvidiaSmi(String body) throws IOException {
    executable(bin.resolve("nvidia-smi"), body);
  }

  private static void executable(Path file, String body) throws IOException {
    Files.writeString(file, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static String[] addresses(Run r) {
    assertEquals(0, r.exit(), r.stderr());
    ResourceInformation info = ResourceInformation.parseJson(r.stdout());
    assertEquals("gpu", info.name());
    return info.addresses();
  }

  @Test
  void listsEveryGpuByItsCudaNumber() throws Exception {
    fakeNvidiaSmi("[ \"$1\" = --query-gpu=index ] && printf '0\\n1\\n2\\n3\\n'");
    assertArrayEquals(new String[] {"0", "1", "2", "3"}, addresses(run(Map.of())));
    // CUDA renumbers the devices CUDA_VISIBLE_DEVICES keeps (as YARN or Kubernetes may set it) from 0.
    assertArrayEquals(new String[] {"0", "1"}, addresses(run(Map.of("CUDA_VISIBLE_DEVICES", "2,3"))));
    assertArrayEquals(new String[] {"0", "1"}, addresses(run(Map.of("CUDA_VISIBLE_DEVICES", "GPU-aa,GPU-bb"))));
    assertArrayEquals(new String[] {"0"}, addresses(run(Map.of("CUDA_VISIBLE_DEVICES", "1,9,2"))));
    assertArrayEquals(new String[0], addresses(run(Map.of("CUDA_VISIBLE_DEVICES", ""))));
    assertArrayEquals(new String[0], addresses(run(Map.of("CUDA_VISIBLE_DEVICES", "-1"))));
  }

  @Test
  void failsSayingWhyWithoutAWorkingNvidiaSmi() throws Exception {
    Run missing = run(Map.of());
    assertTrue(missing.exit() != 0 && missing.stdout().isEmpty(), missing.toString());
    assertTrue(missing.stderr().contains("nvidia-smi not found"), missing.stderr());
    fakeNvidiaSmi("echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver'; exit 9");
    Run broken = run(Map.of());
    assertTrue(broken.exit() != 0 && broken.stdout().isEmpty(), broken.toString());
    assertTrue(broken.stderr().contains("could not communicate with the NVIDIA driver"), broken.stderr());
  }
}
