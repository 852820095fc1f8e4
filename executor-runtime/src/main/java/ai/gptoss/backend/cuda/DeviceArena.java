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
  private final Pointer base;
  private final long capacity;
  private long used;

  DeviceArena(String what, long bytes) {
    this.what = what;
    this.capacity = Math.max(ALIGN, bytes);
    this.base = new Pointer();
    check(cudaMalloc(base, capacity), "cudaMalloc(" + what + ", " + capacity + " bytes)");
  }

  /** The same layout with no device memory behind it (base address 0): host images in tests. */
  private DeviceArena(String what, long bytes, boolean layoutOnly) {
    this.what = what;
    this.capacity = Math.max(ALIGN, bytes);
    this.base = null;
  }

  static DeviceArena layoutOnly(String what, long bytes) {
    return new DeviceArena(what, bytes, true);
  }

  static long aligned(long bytes) {
    return (bytes + ALIGN - 1) / ALIGN * ALIGN;
  }
  /** The arena size that holds each of {@code sizes}, aligned: what {@link #alloc} takes in turn. */
  static long alignedTotal(long[] sizes) {
    long sum = 0;
    for (long v : sizes) sum += aligned(v);
    return sum;
  }


  long alloc(long bytes) {
    long a = aligned(bytes);
    if (used + a > capacity) {
      throw new CudaException(what + ": arena of " + capacity + " bytes is full (asked " + bytes + " more after " + used + ")");
    }
    long addr = base() + used;
    used += a;
    return addr;
  }

  long base() {
    return base == null ? 0 : base.address();
  }

  long capacity() {
    return capacity;
  }

  long used() {
    return used;
  }

  @Override
  public void close() {
    if (base != null && !base.isNull()) {
      cudaFree(base);
      base.setNull();
    }
  }
}
