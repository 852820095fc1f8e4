package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.checkDrv;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoH;
import static org.bytedeco.cuda.global.cudart.cuModuleGetGlobal;

import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * The byte layout of a kernel argument struct, from a {@link KernelStruct} record (natural alignment:
 * 8 bytes for a long, 4 for an int or a float) or from what the compiled layout.cu reports (its
 * globals {@code gptoss_layout_<Struct>}: sizeof, then offset and kind of each field, and
 * {@code gptoss_fields_<Struct>}: the field names). {@link #requireSame} says which field differs.
 *
 * @param kinds per field, as layout.cu codes them: {@link #POINTER}, {@link #INT}, {@link #FLOAT},
 *     {@link #LONG_LONG}; a Java long is {@link #POINTER} (it packs pointers and long longs alike)
 */
record KernelLayout(String struct, long size, List<String> names, long[] offsets, int[] kinds) {
  static final int POINTER = 1, INT = 2, FLOAT = 3, LONG_LONG = 4;
  static final String TABLE_PREFIX = "gptoss_layout_", NAMES_PREFIX = "gptoss_fields_";
  /** The kernel source that holds the layout tables. */
  static final String SOURCE = "layout.cu";

  /** The layout of {@code record}'s components as {@link KernelStruct#pack} writes them. */
  static KernelLayout of(Class<? extends Record> record) {
    RecordComponent[] cs = record.getRecordComponents();
    List<String> names = new ArrayList<>();
    long[] offsets = new long[cs.length];
    int[] kinds = new int[cs.length];
    long pos = 0, align = 1;
    for (int i = 0; i < cs.length; i++) {
      Class<?> t = cs[i].getType();
      int kind = t == long.class ? POINTER : t == int.class ? INT : t == float.class ? FLOAT : 0;
      if (kind == 0) throw new IllegalArgumentException(record.getSimpleName() + "." + cs[i].getName() + ": type " + t + " has no C twin");
      int width = kind == POINTER ? 8 : 4;
      pos = (pos + width - 1) / width * width;
      names.add(cs[i].getName());
      offsets[i] = pos;
      kinds[i] = kind;
      pos += width;
      align = Math.max(align, width);
    }
    return new KernelLayout(record.getSimpleName(), (pos + align - 1) / align * align, names, offsets, kinds);
  }

  /** The layout layout.cu reports for {@code struct}: its table (sizeof, then offset and kind per field) and names. */
  static KernelLayout compiled(String struct, long[] table, String names) {
    List<String> fields = Arrays.stream(names.split(",")).map(String::trim).toList();
    if (table.length != 1 + 2 * fields.size()) {
      throw new CudaException("kernel argument layout of " + struct + ": " + SOURCE + " reports " + table.length
          + " numbers for the " + fields.size() + " fields " + fields);
    }
    long[] offsets = new long[fields.size()];
    int[] kinds = new int[fields.size()];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = table[1 + 2 * i];
      kinds[i] = (int) table[2 + 2 * i];
    }
    return new KernelLayout(struct, table[0], fields, offsets, kinds);
  }

  /**
   * Throws a {@link CudaException} naming the struct and the first field where {@code compiled} (the
   * C struct) and this (the Java record) differ in name, offset or type, or their sizes.
   */
  void requireSame(KernelLayout compiled) {
    String where = "kernel argument struct " + struct + " (Java record KernelStruct." + struct + " vs the compiled "
        + SOURCE + ")";
    int n = Math.min(names.size(), compiled.names.size());
    for (int i = 0; i < n; i++) {
      String f = names.get(i), c = compiled.names.get(i);
      if (!f.equals(c)) throw new CudaException(where + ": field #" + i + " is " + c + " in C, " + f + " in Java");
      boolean sameKind = kinds[i] == compiled.kinds[i] || (kinds[i] == POINTER && compiled.kinds[i] == LONG_LONG);
      if (!sameKind) {
        throw new CudaException(where + ": field " + f + " is " + kindName(compiled.kinds[i]) + " in C, "
            + kindName(kinds[i]) + " in Java");
      }
      if (offsets[i] != compiled.offsets[i]) {
        throw new CudaException(where + ": field " + f + " is at offset " + compiled.offsets[i] + " in C, "
            + offsets[i] + " in Java");
      }
    }
    if (names.size() != compiled.names.size()) {
      List<String> extra = names.size() > n ? names.subList(n, names.size()) : compiled.names.subList(n, compiled.names.size());
      throw new CudaException(where + ": field" + (extra.size() > 1 ? "s " : " ") + String.join(", ", extra) + " only in "
          + (names.size() > n ? "Java" : "C"));
    }
    if (size != compiled.size) throw new CudaException(where + ": " + compiled.size + " bytes in C, " + size + " in Java");
  }

  private static String kindName(int kind) {
    return switch (kind) {
      case POINTER -> "a pointer (Java long)";
      case INT -> "an int (Java int)";
      case FLOAT -> "a float (Java float)";
      case LONG_LONG -> "a long long (Java long)";
      default -> "of a type with no Java twin";
    };
  }

  /** Checks every {@link KernelStruct} record against the layout tables of {@code module} (layout.cu, loaded). */
  static void verify(CUmod_st module) {
    for (Class<?> c : KernelStruct.class.getPermittedSubclasses()) {
      Class<? extends Record> record = c.asSubclass(Record.class);
      String struct = record.getSimpleName();
      byte[] table = global(module, TABLE_PREFIX + struct);
      long[] numbers = new long[table.length / 8];
      java.nio.ByteBuffer.wrap(table).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(numbers);
      byte[] names = global(module, NAMES_PREFIX + struct);
      int end = 0;
      while (end < names.length && names[end] != 0) end++;
      of(record).requireSame(compiled(struct, numbers, new String(names, 0, end, StandardCharsets.US_ASCII)));
    }
  }

  private static byte[] global(CUmod_st module, String name) {
    try (LongPointer address = new LongPointer(1); SizeTPointer bytes = new SizeTPointer(1)) {
      checkDrv(cuModuleGetGlobal(address, bytes, module, name), "cuModuleGetGlobal(" + name + " of " + SOURCE + ")");
      byte[] out = new byte[(int) bytes.get()];
      try (BytePointer host = new BytePointer(out.length)) {
        checkDrv(cuMemcpyDtoH(host, address.get(), out.length), "cuMemcpyDtoH(" + name + ")");
        host.get(out);
      }
      return out;
    }
  }
}
