package ai.gptoss.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compiles every kernel source with nvcc for Ampere (sm_80) and Hopper (sm_90a), so that a syntax
 * or type error fails CI (which has no GPU; {@code .ci/run} installs nvcc where it is missing). The
 * runtime compiles the same sources with NVRTC; both see only the headers here (gptoss_kernels.h, moe_wgmma.cuh: the
 * runtime's KernelCompiler.HEADERS), no system headers. A header is compiled through the sources that include it.
 *
 * <p>Without a CUDA 13 nvcc ({@code $CUDA_HOME/bin/nvcc} or on the PATH) the checks are skipped with a
 * message, so that the README's test command works on a machine with only Java and Maven; with
 * {@code GPTOSS_REQUIRE_NVCC=1} (set by {@code .ci/run}) a missing nvcc fails instead.
 */
class KernelsCompileTest {
  static final Path SOURCES = Paths.get("src/main/cuda");
  static final String REQUIRE = "GPTOSS_REQUIRE_NVCC";

  @BeforeAll
  static void nvccPresent() {
    Optional<String> nvcc = nvcc();
    if (nvcc.isPresent()) return;
    String why = "no CUDA 13 nvcc ($CUDA_HOME/bin/nvcc or nvcc on the PATH)";
    if ("1".equals(System.getenv(REQUIRE))) fail(why + ", and " + REQUIRE + "=1 asks for every kernel to be compiled");
    System.err.println("KernelsCompileTest: SKIPPED, " + why + "; source scripts/ensure-nvcc.sh to install one from PyPI");
    Assumptions.abort(why + ": kernel compile checks skipped");
  }

  static Stream<String> sources() throws IOException {
    try (Stream<Path> s = Files.list(SOURCES)) {
      List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu")).sorted()
          .collect(Collectors.toList());
      assertTrue(names.size() >= 9, "expected the kernel sources in " + SOURCES.toAbsolutePath() + ", found " + names);
      return names.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("sources")
  void compilesForAmpereAndHopper(String source, @TempDir Path tmp) throws Exception {
    // Kernels that touch the KV cache are also built with float32 and FP8 K/V (KvFormat).
    boolean usesKv = Files.readString(SOURCES.resolve(source)).contains("kvPool");
    List<List<String>> variants = usesKv ? List.of(List.of(), List.of("-DGPTOSS_KV_F32"), List.of("-DGPTOSS_KV_FP8"))
        : List.of(List.of());
    for (List<String> defines : variants) {
      for (String arch : new String[] {"sm_80", "sm_90a"}) {
        Path out = tmp.resolve(source + "." + arch + String.join("", defines) + ".cubin");
        List<String> cmd = new ArrayList<>(List.of(nvcc().orElseThrow(), "-cubin", "-arch=" + arch, "-Werror", "all-warnings"));
        cmd.addAll(defines);
        cmd.addAll(List.of("-o", out.toString(), SOURCES.resolve(source).toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + " failed:\n" + log);
        assertTrue(Files.size(out) > 0, "nvcc wrote an empty cubin for " + source + " " + defines);
      }
    }
  }

  /** $CUDA_HOME/bin/nvcc, else the first nvcc on the PATH, if it is a CUDA 13 nvcc. */
  static Optional<String> nvcc() {
    List<Path> candidates = new ArrayList<>();
    String home = System.getenv("CUDA_HOME");
    if (home != null) candidates.add(Paths.get(home, "bin", "nvcc"));
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty()) candidates.add(Paths.get(dir, "nvcc"));
    }
    return candidates.stream().filter(Files::isExecutable).findFirst().map(Path::toString).filter(KernelsCompileTest::isCuda13);
  }

  private static boolean isCuda13(String nvcc) {
    try {
      Process p = new ProcessBuilder(nvcc, "--version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor() == 0 && out.contains("release 13.");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
