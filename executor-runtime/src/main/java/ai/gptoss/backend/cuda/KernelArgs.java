package ai.gptoss.backend.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The parameter buffer of a launch, into which a {@link KernelStruct} record packs its struct of
 * native/gptoss_kernels.h: fields in declaration order with natural alignment (8-byte pointers and
 * long longs, 4-byte ints and floats). One buffer, reused for every launch: cuLaunchKernel copies the
 * parameters before it returns.
 */
final class KernelArgs {
  static final int CAPACITY = 512;
  private final BytePointer buf = new BytePointer(CAPACITY);
  private final PointerPointer<BytePointer> params = new PointerPointer<>(1);
  private int pos;

  KernelArgs() {
    params.put(0, buf);
  }

  KernelArgs reset() {
    pos = 0;
    return this;
  }

  KernelArgs ptr(long deviceAddress) {
    return i64(deviceAddress);
  }

  KernelArgs i64(long v) {
    align(8);
    buf.putLong(pos, v);
    pos += 8;
    return this;
  }

  KernelArgs i32(int v) {
    align(4);
    buf.putInt(pos, v);
    pos += 4;
    return this;
  }

  KernelArgs f32(float v) {
    align(4);
    buf.putFloat(pos, v);
    pos += 4;
    return this;
  }

  /** Bytes packed so far, the struct's size before its tail padding. */
  int size() {
    return pos;
  }

  PointerPointer<BytePointer> params() {
    return params;
  }

  private void align(int a) {
    pos = (pos + a - 1) / a * a;
    if (pos + 8 > CAPACITY) throw new IllegalStateException("kernel argument struct larger than " + CAPACITY + " bytes");
  }
}
