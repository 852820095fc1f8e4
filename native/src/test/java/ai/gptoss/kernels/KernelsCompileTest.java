package ai.gptoss.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compiles every kernel source with nvcc for Ampere (sm_80) and Hopper (sm_90a), so that a syntax
 * or type error fails CI (which has nvcc but no GPU). The runtime compiles the same sources with
 * NVRTC; both see only gptoss_kernels.h, no system headers.
 */
class KernelsCompileTest {
  static final Path SOURCES = Paths.get("src/main/cuda");

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
        List<String> cmd = new java.util.ArrayList<>(List.of(nvcc(), "-cubin", "-arch=" + arch, "-Werror", "all-warnings"));
        cmd.addAll(defines);
        cmd.addAll(List.of("-o", out.toString(), SOURCES.resolve(source).toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + " failed:\n" + log);
        assertTrue(Files.size(out) > 0, "nvcc wrote an empty cubin for " + source + " " + defines);
      }
    }
  }

  private static String nvcc() {
    String home = System.getenv("CUDA_HOME");
    if (home != null && Files.isExecutable(Paths.get(home, "bin", "nvcc"))) return Paths.get(home, "bin", "nvcc").toString();
    return "nvcc";
  }
}
