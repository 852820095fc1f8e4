package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load-time layout check without a GPU: layout.cu (from the kernel jar) compiled to PTX by nvcc,
 * its layout tables read from the PTX text (initialized globals carry their bytes there), and every
 * {@link KernelStruct} record compared with them by {@link KernelLayout#requireSame}, as
 * {@link Kernels} does at load with the NVRTC cubin. Also: layout.cu lists every field of each
 * header struct, so that a field added to the header alone fails here.
 *
 * <p>Without a CUDA 13 nvcc ({@code $CUDA_HOME/bin/nvcc} or on the PATH) it is skipped, as native's
 * KernelsCompileTest is; with {@code GPTOSS_REQUIRE_NVCC=1} (CI, after scripts/ensure-nvcc.sh) it fails.
 */
class KernelLayoutNvccTest {
  @Test
  void recordsMatchTheStructsAsNvccLaysThemOut(@TempDir Path tmp) throws Exception {
    String nvcc = nvcc();
    Files.writeString(tmp.resolve(KernelCompiler.HEADER), KernelCompiler.resource(KernelCompiler.HEADER));
    Files.writeString(tmp.resolve(KernelLayout.SOURCE), KernelCompiler.resource(KernelLayout.SOURCE));
    // the KV variants change the pointee of kvPool only; compiled all the same, as the runtime may be
    for (String define : new String[] {null, "-DGPTOSS_KV_F32", "-DGPTOSS_KV_FP8"}) {
      Path ptx = tmp.resolve("layout" + (define == null ? "" : define) + ".ptx");
      List<String> cmd = new ArrayList<>(List.of(nvcc, "-ptx", "-arch=sm_80", "-o", ptx.toString()));
      if (define != null) cmd.add(define);
      cmd.add(tmp.resolve(KernelLayout.SOURCE).toString());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), String.join(" ", cmd) + " failed:\n" + log);
      requireRecordsMatch(Files.readString(ptx), ptx.getFileName().toString());
    }
  }

  /**
   * Every {@link KernelStruct} record against the layout tables of {@code ptx} (layout.cu compiled), and
   * each table's field list against the header's struct (so that no field is left out of GL_STRUCT).
   */
  static void requireRecordsMatch(String ptx, String what) {
    Map<String, List<String[]>> header = KernelLayoutTest.headerStructs();
    Map<String, byte[]> globals = globals(ptx);
    for (Class<? extends Record> r : KernelLayoutTest.records()) {
      String struct = r.getSimpleName();
      byte[] table = globals.get(KernelLayout.TABLE_PREFIX + struct), names = globals.get(KernelLayout.NAMES_PREFIX + struct);
      assertTrue(table != null && names != null, what + ": " + KernelLayout.SOURCE + " has no layout of " + struct + " (GL_STRUCT)");
      long[] numbers = new long[table.length / 8];
      ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(numbers);
      KernelLayout compiled = KernelLayout.compiled(struct, numbers, cString(names));
      assertEquals(header.get(struct).stream().map(f -> f[1]).toList(), compiled.names(), what + ": " + KernelLayout.SOURCE
          + "'s GL_STRUCT(" + struct + ", ...) against the fields of the struct in " + KernelCompiler.HEADER);
      KernelLayout.of(r).requireSame(compiled);
    }
  }

  /** The initialized globals of a PTX module: name -> bytes (little-endian; the initializer padded with zeros). */
  static Map<String, byte[]> globals(String ptx) {
    Map<String, byte[]> out = new HashMap<>();
    Matcher m = Pattern.compile("\\.global\\s+\\.align\\s+\\d+\\s+\\.([bu])(8|16|32|64)\\s+(\\w+)\\[(\\d+)\\]\\s*=\\s*\\{([^}]*)\\};")
        .matcher(ptx);
    while (m.find()) {
      int width = Integer.parseInt(m.group(2)) / 8;
      ByteBuffer b = ByteBuffer.allocate(width * Integer.parseInt(m.group(4))).order(ByteOrder.LITTLE_ENDIAN);
      for (String v : m.group(5).split(",")) {
        long x = Long.parseUnsignedLong(v.trim());
        for (int i = 0; i < width; i++) b.put((byte) (x >>> (8 * i)));
      }
      out.put(m.group(3), b.array());
    }
    return out;
  }

  private static String cString(byte[] b) {
    int end = 0;
    while (end < b.length && b[end] != 0) end++;
    return new String(b, 0, end, StandardCharsets.US_ASCII);
  }

  /** $CUDA_HOME/bin/nvcc, else the first nvcc on the PATH, if it is a CUDA 13 nvcc; else skips (or fails, in CI). */
  private static String nvcc() {
    List<Path> candidates = new ArrayList<>();
    String home = System.getenv("CUDA_HOME");
    if (home != null) candidates.add(Paths.get(home, "bin", "nvcc"));
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty()) candidates.add(Paths.get(dir, "nvcc"));
    }
    Optional<String> nvcc = candidates.stream().filter(Files::isExecutable).findFirst().map(Path::toString)
        .filter(KernelLayoutNvccTest::isCuda13);
    if (nvcc.isPresent()) return nvcc.get();
    String why = "no CUDA 13 nvcc ($CUDA_HOME/bin/nvcc or nvcc on the PATH)";
    if ("1".equals(System.getenv("GPTOSS_REQUIRE_NVCC"))) fail(why + ", and GPTOSS_REQUIRE_NVCC=1 asks for the layout check");
    System.err.println("KernelLayoutNvccTest: SKIPPED, " + why + "; source scripts/ensure-nvcc.sh to install one from PyPI");
    Assumptions.abort(why);
    return null;
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
