package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

  /**
   * Every record's pack writes each component, in order, at the offset its layout (which
   * KernelNvrtcTest (LayoutTables) and the load-time check compare with the C struct) gives it.
   */
  @Test
  void everyRecordPacksItsComponentsAtTheirLayoutOffsets() throws Exception {
    for (Class<? extends Record> r : KernelLayoutTest.records()) {
      RecordComponent[] cs = r.getRecordComponents();
      Object[] values = new Object[cs.length];
      Class<?>[] types = new Class<?>[cs.length];
      for (int i = 0; i < cs.length; i++) {
        types[i] = cs[i].getType();
        // distinct values, none of them 0, and no two equal across types
        values[i] = types[i] == long.class ? (Object) (0x0102030405060708L * (i + 1)) : types[i] == int.class ? (Object) (1000 + i)
            : (Object) (0.25f + i);
      }
      KernelStruct s = (KernelStruct) r.getDeclaredConstructor(types).newInstance(values);
      KernelArgs a = new KernelArgs();
      s.pack(a.reset());
      KernelLayout layout = KernelLayout.of(r);
      assertTrue(a.size() <= layout.size() && a.size() > layout.size() - 8, r.getSimpleName() + ": packed " + a.size()
          + " bytes for a struct of " + layout.size());
      ByteBuffer bb = a.params().get(org.bytedeco.javacpp.BytePointer.class, 0).capacity(KernelArgs.CAPACITY).asByteBuffer()
          .order(ByteOrder.nativeOrder());
      for (int i = 0; i < cs.length; i++) {
        int off = (int) layout.offsets()[i];
        Object got = types[i] == long.class ? (Object) bb.getLong(off) : types[i] == int.class ? (Object) bb.getInt(off) : (Object) bb.getFloat(off);
        assertEquals(values[i], got, r.getSimpleName() + "." + cs[i].getName() + " at offset " + off);
      }
    }
  }
}
