package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;

import org.bytedeco.javacpp.Pointer;

/**
 * One device allocation carved into aligned pieces ("reserve the pantry first"): the size is known
 * before the first byte is placed, so loading never allocates per tensor and never fragments.
 */
final class DeviceArena implements AutoCloseable {
  static final long ALIGN = 256;
  private final String what;
  private final Pointer base = new Pointer();
  private final long capacity;
  private long used;

  DeviceArena(String what, long bytes) {
    this.what = what;
    this.capacity = Math.max(ALIGN, bytes);
    check(cudaMalloc(base, capacity), "cudaMalloc(" + what + ", " + capacity + " bytes)");
  }

  static long aligned(long bytes) {
    return (bytes + ALIGN - 1) / ALIGN * ALIGN;
  }

  long alloc(long bytes) {
    long a = aligned(bytes);
    if (used + a > capacity) {
      throw new CudaException(what + ": arena of " + capacity + " bytes is full (asked " + bytes + " more after " + used + ")");
    }
    long addr = base.address() + used;
    used += a;
    return addr;
  }

  long base() {
    return base.address();
  }

  long capacity() {
    return capacity;
  }

  long used() {
    return used;
  }

  @Override
  public void close() {
    if (!base.isNull()) {
      cudaFree(base);
      base.setNull();
    }
  }
}
