package ai.gptoss.spark.exec;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.SizeTPointer;

/** Asks the CUDA runtime how much memory a GPU has; loaded only on executors that were assigned a GPU. */
final class GpuProbe {
  private GpuProbe() {}

  /** {free, total} bytes of GPU {@code ordinal}. */
  static long[] memory(int ordinal) {
    int rc = cudart.cudaSetDevice(ordinal);
    if (rc != 0) throw new IllegalStateException("cudaSetDevice(" + ordinal + ") failed: " + cudart.cudaGetErrorString(rc).getString());
    try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
      rc = cudart.cudaMemGetInfo(free, total);
      if (rc != 0) throw new IllegalStateException("cudaMemGetInfo on GPU " + ordinal + " failed: " + cudart.cudaGetErrorString(rc).getString());
      return new long[] {free.get(), total.get()};
    }
  }
}
