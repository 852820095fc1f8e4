package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java side of the kernel argument structs without a compiler: every record against the header's
 * struct of that name (field names, order and types), every kernel of {@link Kernels} against the
 * struct its C signature takes, and {@link KernelLayout#requireSame} on deliberate mismatches.
 * KernelNvrtcTest compares the records with the layout NVRTC computes (LayoutTables).
 */
class KernelLayoutTest {
  /** The header's argument structs: name -> fields (C type, name) in order. */
  static Map<String, List<String[]>> headerStructs() {
    Map<String, List<String[]>> structs = new LinkedHashMap<>();
    Matcher m = Pattern.compile("(?s)\\nstruct (\\w+) \\{(.*?)\\n\\};").matcher(KernelCompiler.resource(KernelCompiler.HEADER));
    while (m.find()) {
      List<String[]> fields = new ArrayList<>();
      for (String line : m.group(2).split("\n")) {
        String decl = line.replaceAll("//.*", "").trim();
        if (decl.isEmpty()) continue;
        Matcher f = Pattern.compile("(.*?)\\s*\\b(\\w+);").matcher(decl);
        assertTrue(f.matches(), "cannot read the field declaration '" + decl + "' of struct " + m.group(1));
        fields.add(new String[] {f.group(1), f.group(2)});
      }
      structs.put(m.group(1), fields);
    }
    return structs;
  }

  static List<Class<? extends Record>> records() {
    List<Class<? extends Record>> out = new ArrayList<>();
    for (Class<?> c : KernelStruct.class.getPermittedSubclasses()) out.add(c.asSubclass(Record.class));
    return out;
  }

  @Test
  void everyRecordHasTheFieldsOfItsHeaderStruct() {
    Map<String, List<String[]>> header = headerStructs();
    assertTrue(header.size() >= 14, "expected the argument structs of " + KernelCompiler.HEADER + ", found " + header.keySet());
    for (Class<? extends Record> r : records()) {
      List<String[]> c = header.get(r.getSimpleName());
      assertTrue(c != null, "record " + r.getSimpleName() + " has no struct of that name in " + KernelCompiler.HEADER);
      RecordComponent[] java = r.getRecordComponents();
      List<String> cNames = c.stream().map(f -> f[1]).toList();
      assertEquals(cNames, List.of(java).stream().map(RecordComponent::getName).toList(), r.getSimpleName() + " fields");
      for (int i = 0; i < java.length; i++) {
        String type = c.get(i)[0];
        Class<?> expected = type.endsWith("*") || type.equals("long long") ? long.class
            : type.equals("int") || type.equals("unsigned") ? int.class : type.equals("float") ? float.class : null;
        assertEquals(expected, java[i].getType(), r.getSimpleName() + "." + cNames.get(i) + " is '" + type + "' in C");
      }
    }
  }

  @Test
  void everyKernelTakesItsRecordsStruct() {
    Pattern signature = Pattern.compile("extern \"C\" __global__ void (?:__(?:launch_bounds|maxnreg)__\\([^)]*\\) )?(\\w+)\\((\\w+) a\\)");
    Map<String, String> declared = new LinkedHashMap<>();
    for (Kernels.Kernel k : Kernels.kernels().values()) {
      Matcher m = signature.matcher(KernelCompiler.resource(k.source()));
      while (m.find()) declared.put(m.group(1), m.group(2));
    }
    Kernels.kernels().forEach((name, k) -> assertEquals(declared.get(name), k.args().getSimpleName(),
        "kernel " + name + " of " + k.source() + ": its C parameter type against the record Kernels launches it with"));
  }

  @Test
  void layoutsFollowNaturalAlignment() {
    KernelLayout fill = KernelLayout.of(KernelStruct.FillArgs.class);  // void*, long long, int, unsigned, float, float
    assertEquals(32, fill.size());
    assertEquals(List.of(0L, 8L, 16L, 20L, 24L, 28L), List.of(box(fill.offsets())));
    KernelLayout embed = KernelLayout.of(KernelStruct.EmbedArgs.class);  // 3 pointers, 4 ints
    assertEquals(40, embed.size());
    KernelLayout scatter = KernelLayout.of(KernelStruct.MoeScatterArgs.class);  // 3 pointers, 1 int: tail padding
    assertEquals(32, scatter.size());
    assertEquals(24L, scatter.offsets()[3]);
  }

  // The C struct EmbedArgs as layout.cu reports it: sizeof 40; table 0 ptr, tokens 8 ptr, x 16 ptr, numTokens 24 int,
  // hidden 28 int, vocabFrom 32 int, vocabTo 36 int.
  static final long[] EMBED_TABLE = {40, 0, 1, 8, 1, 16, 1, 24, 2, 28, 2, 32, 2, 36, 2};
  static final String EMBED_NAMES = "table, tokens, x, numTokens, hidden, vocabFrom, vocabTo";

  record Swapped(long table, long x, long tokens, int numTokens, int hidden, int vocabFrom, int vocabTo) {}

  record FloatHidden(long table, long tokens, long x, int numTokens, float hidden, int vocabFrom, int vocabTo) {}

  record Short(long table, long tokens, long x, int numTokens, int hidden, int vocabFrom) {}

  record Longer(long table, long tokens, long x, int numTokens, int hidden, int vocabFrom, int vocabTo, int extra) {}

  record IntTokens(long table, int tokens, long x, int numTokens, int hidden, int vocabFrom, int vocabTo) {}

  @Test
  void theRecordOfTheStructMatches() {
    KernelLayout.of(KernelStruct.EmbedArgs.class).requireSame(KernelLayout.compiled("EmbedArgs", EMBED_TABLE, EMBED_NAMES));
  }

  @Test
  void aMismatchNamesTheStructAndTheField() {
    KernelLayout c = KernelLayout.compiled("EmbedArgs", EMBED_TABLE, EMBED_NAMES);
    assertMismatch(Swapped.class, c, "field #1 is tokens in C, x in Java");
    assertMismatch(FloatHidden.class, c, "field hidden is an int (Java int) in C, a float (Java float) in Java");
    assertMismatch(Short.class, c, "field vocabTo only in C");
    assertMismatch(Longer.class, c, "field extra only in Java");
    assertMismatch(IntTokens.class, c, "field tokens is a pointer (Java long) in C, an int (Java int) in Java");
    // the same fields, but the C struct grew (a field the table does not list): the size differs
    long[] grown = EMBED_TABLE.clone();
    grown[0] = 48;
    assertMismatch(KernelStruct.EmbedArgs.class, KernelLayout.compiled("EmbedArgs", grown, EMBED_NAMES), "48 bytes in C, 40 in Java");
    long[] moved = EMBED_TABLE.clone();
    moved[13] = 40;
    assertMismatch(KernelStruct.EmbedArgs.class, KernelLayout.compiled("EmbedArgs", moved, EMBED_NAMES),
        "field vocabTo is at offset 40 in C, 36 in Java");
    CudaException bad = assertThrows(CudaException.class, () -> KernelLayout.compiled("EmbedArgs", new long[] {40, 0}, EMBED_NAMES));
    assertTrue(bad.getMessage().contains("EmbedArgs"), bad.getMessage());
  }

  private static void assertMismatch(Class<? extends Record> java, KernelLayout compiled, String expected) {
    KernelLayout j = KernelLayout.of(java);
    KernelLayout named = new KernelLayout("EmbedArgs", j.size(), j.names(), j.offsets(), j.kinds());
    CudaException e = assertThrows(CudaException.class, () -> named.requireSame(compiled), java.getSimpleName());
    assertTrue(e.getMessage().startsWith("kernel argument struct EmbedArgs"), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static Long[] box(long[] a) {
    Long[] out = new Long[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[i];
    return out;
  }
}
