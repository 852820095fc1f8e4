package ai.gptoss.backend;

import java.nio.file.Path;

/**
 * The bridge to the CUDA backend. Kept free of JavaCPP types so that a machine without CUDA never
 * loads them.
 */
final class CudaSupport {
  private CudaSupport() {}

  /** Number of CUDA devices, 0 when no driver or runtime is installed. */
  static int gpuCount() {
    return 0; // The CUDA backend replaces this with a driver query.
  }

  static Backend open(Path modelDir, int ordinal) {
    throw new BackendException("--device cuda:" + ordinal + ": no CUDA backend is available in this build");
  }
}
