package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.checkNvrtc;
import static org.bytedeco.cuda.global.nvrtc.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Compiles the kernel sources shipped in the jar ({@code ai/gptoss/kernels/*.cu}, from the native
 * module) with NVRTC for the exact GPU architecture, and caches the cubins on local disk keyed by
 * the hashes of the source and of every header ({@link #HEADERS}), architecture and NVRTC version
 * ({@code $GPTOSS_KERNEL_CACHE}, default {@code ~/.cache/gptoss/kernels}). Users need no CUDA compiler.
 */
final class KernelCompiler {
  static final String RESOURCE_DIR = "ai/gptoss/kernels/";
  /** The header of the argument structs and shared device helpers, which every source includes. */
  static final String HEADER = "gptoss_kernels.h";
  /**
   * Every header a kernel source may include, given to each NVRTC program by name (NVRTC sees no files): {@link #HEADER}
   * and the Hopper wgmma building blocks of the wgmma expert GEMMs. A source that includes another fails to compile.
   */
  static final List<String> HEADERS = List.of(HEADER, "moe_wgmma.cuh");

  private final String arch;
  private final String nvrtcVersion;
  private final Path cacheDir;
  private final List<String> defines;

  /** @param defines extra NVRTC options ({@code -D...}) that select variants, part of the cache key */
  KernelCompiler(String arch, List<String> defines) {
    this.arch = arch;
    this.defines = List.copyOf(defines);
    int[] major = new int[1], minor = new int[1];
    checkNvrtc(nvrtcVersion(major, minor), "nvrtcVersion");
    this.nvrtcVersion = major[0] + "." + minor[0];
    String env = System.getenv("GPTOSS_KERNEL_CACHE");
    this.cacheDir = env != null ? Paths.get(env) : Paths.get(System.getProperty("user.home"), ".cache", "gptoss", "kernels");
  }

  /** NVRTC options: the exact architecture, C++17, device code by default, then the variant defines. */
  static String[] options(String arch, List<String> defines) {
    List<String> o = new java.util.ArrayList<>(List.of("--gpu-architecture=" + arch, "--std=c++17", "-default-device"));
    o.addAll(defines);
    return o.toArray(new String[0]);
  }

  /** The architecture name NVRTC gets: sm_90a on Hopper (wgmma and friends), sm_XY elsewhere. */
  static String archFor(int major, int minor) {
    return "sm_" + major + minor + (major == 9 ? "a" : "");
  }

  String arch() {
    return arch;
  }

  /** The cubin of {@code source} (e.g. "moe_gemm.cu"), from the cache or freshly compiled. */
  byte[] cubin(String source) {
    String src = resource(source);
    List<String> headers = HEADERS.stream().map(KernelCompiler::resource).toList();
    String[] options = options(arch, defines);
    String key = sha256(src + "\0" + String.join("\0", headers) + "\0" + String.join(" ", options) + "\0" + nvrtcVersion);
    Path cached = cacheDir.resolve(source.replace(".cu", "") + "-" + arch + "-nvrtc" + nvrtcVersion + "-"
        + key.substring(0, 16) + ".cubin");
    try {
      if (Files.isRegularFile(cached)) return Files.readAllBytes(cached);
    } catch (IOException e) {
      // an unreadable cache entry is recompiled
    }
    Cuda.trace("nvrtc " + source);
    byte[] cubin = compile(source, src, headers, options);
    Cuda.trace("nvrtc done " + source + " " + cubin.length + " bytes");
    try {
      Files.createDirectories(cacheDir);
      Path tmp = Files.createTempFile(cacheDir, source, ".tmp");
      Files.write(tmp, cubin);
      Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // a read-only home still runs; it only recompiles next time
    }
    return cubin;
  }

  /** {@code headers}: the texts of {@link #HEADERS}, in that order. */
  private static byte[] compile(String name, String src, List<String> headers, String[] options) {
    _nvrtcProgram prog = new _nvrtcProgram();
    BytePointer[] texts = new BytePointer[HEADERS.size()], names = new BytePointer[HEADERS.size()];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = new BytePointer(headers.get(i));
      names[i] = new BytePointer(HEADERS.get(i));
    }
    // explicit arrays: a single Pointer argument would pick PointerPointer's cast constructor
    checkNvrtc(nvrtcCreateProgram(prog, new BytePointer(src), new BytePointer(name), texts.length,
        new PointerPointer<BytePointer>(texts), new PointerPointer<BytePointer>(names)), "nvrtcCreateProgram(" + name + ")");
    try {
      BytePointer[] opts = new BytePointer[options.length];
      for (int i = 0; i < opts.length; i++) opts[i] = new BytePointer(options[i]);
      int rc = nvrtcCompileProgram(prog, options.length, new PointerPointer<BytePointer>(opts));
      if (rc != 0) {
        throw new CudaException.Compile("nvrtcCompileProgram(" + name + ", " + String.join(" ", options) + ") failed: "
            + nvrtcGetErrorString(rc).getString() + "\n" + log(prog));
      }
      SizeTPointer size = new SizeTPointer(1);
      checkNvrtc(nvrtcGetCUBINSize(prog, size), "nvrtcGetCUBINSize(" + name + ")");
      byte[] out = new byte[(int) size.get()];
      checkNvrtc(nvrtcGetCUBIN(prog, out), "nvrtcGetCUBIN(" + name + ")");
      return out;
    } finally {
      nvrtcDestroyProgram(prog);
    }
  }

  private static String log(_nvrtcProgram prog) {
    SizeTPointer size = new SizeTPointer(1);
    if (nvrtcGetProgramLogSize(prog, size) != 0 || size.get() <= 1) return "";
    byte[] b = new byte[(int) size.get()];
    nvrtcGetProgramLog(prog, b);
    return new String(b, 0, b.length - 1, StandardCharsets.UTF_8);
  }

  static String resource(String name) {
    try (InputStream in = KernelCompiler.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + name)) {
      if (in == null) throw new CudaException("kernel source " + RESOURCE_DIR + name + " is missing from the classpath (gptoss-native jar)");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CudaException("cannot read kernel source " + RESOURCE_DIR + name + ": " + e.getMessage());
    }
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
