package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime's compiler without a GPU: every kernel source the backend loads, and layout.cu, compiled
 * by NVRTC (libnvrtc through python3's ctypes, nvrtc_ptx.py) with {@link KernelCompiler#options} and the
 * headers of {@link KernelCompiler#HEADERS}, for Ampere and Hopper (every {@link KvFormat} where a source touches the K/V cache); then layout.cu's
 * tables in NVRTC's PTX against the {@link KernelStruct} records, as {@link Kernels} checks them at load. NVRTC accepts less than nvcc
 * (no __builtin_offsetof, no system headers): KernelsCompileTest's nvcc alone would not see that.
 * PTX only ({@code compute_XX}): the front end is NVRTC's own, ptxas is KernelsCompileTest's.
 *
 * <p>Needs a CUDA 13 libnvrtc ($CUDA_HOME/lib or lib64, as scripts/ensure-nvcc.sh installs it) and
 * python3; skipped without them, failed with {@code GPTOSS_REQUIRE_NVCC=1} (CI).
 */
class KernelNvrtcTest {
  @Test
  void kernelsAndLayoutTablesCompileWithNvrtc(@TempDir Path tmp) throws Exception {
    Path lib = nvrtc();
    List<String> command = new ArrayList<>(List.of("python3", tmp.resolve("nvrtc_ptx.py").toString(), lib.toString()));
    // every header, by name, as the backend gives them to NVRTC (apart from the sources: NVRTC reads no file of them)
    Path headers = Files.createDirectories(tmp.resolve("headers"));
    for (String h : KernelCompiler.HEADERS) {
      Files.writeString(headers.resolve(h), KernelCompiler.resource(h));
      command.add(headers.resolve(h).toString());
    }
    TreeSet<String> sources = new TreeSet<>();
    Kernels.kernels().values().forEach(k -> sources.add(k.source()));
    sources.add(KernelLayout.SOURCE);
    StringBuilder jobs = new StringBuilder();
    List<Path> layoutPtx = new ArrayList<>();
    for (String source : sources) {
      String text = KernelCompiler.resource(source);
      Files.writeString(tmp.resolve(source), text);
      // Every source in every K/V format, as the backend compiles them (each precision's define reaches every
      // kernel through the header; at 5dbb77c the Hopper helpers sat inside the bf16 branch, so every kernel
      // that used them failed to compile in exact mode on the device while bf16 alone was checked here).
      List<KvFormat> formats = List.of(KvFormat.values());
      for (String arch : new String[] {"compute_80", "compute_90a"}) {
        for (KvFormat kv : formats) {
          Path out = tmp.resolve(source + "." + arch + "." + kv + ".ptx");
          if (source.equals(KernelLayout.SOURCE)) layoutPtx.add(out);
          jobs.append(tmp.resolve(source)).append('\t').append(out);
          for (String o : KernelCompiler.options(arch, kv.defines)) jobs.append('\t').append(o);
          jobs.append('\n');
        }
      }
    }
    Path script = tmp.resolve("nvrtc_ptx.py");
    try (InputStream in = KernelNvrtcTest.class.getResourceAsStream("nvrtc_ptx.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().write(jobs.toString().getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "NVRTC (" + lib + ") failed on a kernel source:\n" + log);
    for (Path ptx : layoutPtx) LayoutTables.requireRecordsMatch(Files.readString(ptx), ptx.getFileName().toString());
  }

  /** $CUDA_HOME/lib/libnvrtc.so.13 or lib64/; else skips (or fails, with GPTOSS_REQUIRE_NVCC=1). */
  private static Path nvrtc() {
    String home = System.getenv("CUDA_HOME");
    if (home != null) {
      for (String dir : new String[] {"lib", "lib64"}) {
        Path lib = Paths.get(home, dir, "libnvrtc.so.13");
        if (Files.isRegularFile(lib) && python3()) return lib;
      }
    }
    String why = "no CUDA 13 libnvrtc ($CUDA_HOME/lib/libnvrtc.so.13) or no python3";
    if ("1".equals(System.getenv("GPTOSS_REQUIRE_NVCC"))) fail(why + ", and GPTOSS_REQUIRE_NVCC=1 asks for the NVRTC compile check");
    System.err.println("KernelNvrtcTest: SKIPPED, " + why + "; source scripts/ensure-nvcc.sh to install it from PyPI");
    Assumptions.abort(why);
    return null;
  }

  private static boolean python3() {
    try {
      return new ProcessBuilder("python3", "--version").redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
