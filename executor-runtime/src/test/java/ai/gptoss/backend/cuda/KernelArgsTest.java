package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The argument packer lays fields out as the C structs of gptoss_kernels.h (natural alignment). */
class KernelArgsTest {
  @Test
  void fieldsAreNaturallyAligned() {
    KernelArgs a = new KernelArgs();
    // like FillArgs: void* dst; long long count; int kind; unsigned seed; float scale; float offset;
    a.reset().ptr(0x1122334455667788L).i64(42).i32(3).i32(-7).f32(1.5f).f32(2.5f);
    assertEquals(32, a.size());
    var buf = a.params().get(org.bytedeco.javacpp.BytePointer.class, 0).capacity(64);
    java.nio.ByteBuffer bb = buf.asByteBuffer().order(java.nio.ByteOrder.nativeOrder());
    assertEquals(0x1122334455667788L, bb.getLong(0));
    assertEquals(42L, bb.getLong(8));
    assertEquals(3, bb.getInt(16));
    assertEquals(-7, bb.getInt(20));
    assertEquals(1.5f, bb.getFloat(24));
    assertEquals(2.5f, bb.getFloat(28));
    // an int followed by a pointer is padded to 8
    a.reset().i32(1).ptr(5);
    assertEquals(16, a.size());
    bb = buf.asByteBuffer().order(java.nio.ByteOrder.nativeOrder());
    assertEquals(5L, bb.getLong(8));
  }
}
