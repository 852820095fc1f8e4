package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * layout.cu's sizeof/offsetof tables read from compiled PTX (initialized globals carry their bytes
 * there), without a GPU, and compared with the {@link KernelStruct} records by
 * {@link KernelLayout#requireSame}, as {@link Kernels} does at load. KernelNvrtcTest compiles layout.cu
 * with NVRTC, the runtime's compiler, for every architecture and K/V format and checks each PTX here.
 */
final class LayoutTables {
  private LayoutTables() {}

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
}
