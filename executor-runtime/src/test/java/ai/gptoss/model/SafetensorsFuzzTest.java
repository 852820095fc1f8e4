package ai.gptoss.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzes the safetensors header parser and file opener: whatever the bytes, the only exception that
 * may escape is {@link CheckpointException} (no IllegalArgument, NegativeArraySize, Arithmetic,
 * OutOfMemory from a giant length, ...).
 */
class SafetensorsFuzzTest {
  /** The smallest model the writer makes: about 10 KB, so every truncation length can be tried. */
  static final ModelConfig SMALL = ModelShapes.tinyA().vocab(32).hidden(32).intermediate(32).heads(1, 1).headDim(2)
      .experts(1, 1).layers(1).build();

  static Path dir;
  static byte[] valid;
  static int headerEnd;

  @BeforeContainer
  static void writeValidModel() throws IOException {
    dir = Files.createTempDirectory("safetensors-fuzz");
    new SyntheticCheckpointWriter(SMALL, 1).write(dir.resolve("valid"));
    valid = Files.readAllBytes(dir.resolve("valid").resolve(Checkpoint.SINGLE));
    headerEnd = 8 + (int) SafetensorsSurgery.headerLength(valid);
  }

  @AfterContainer
  static void cleanUp() throws IOException {
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  /** Parses; returns normally on success or on a CheckpointException, fails on anything else. */
  static void parseOnlyThrowsCheckpointException(byte[] header, long dataBytes) {
    try {
      SafetensorsFile.parseHeader(header, dataBytes, "fuzz.safetensors");
    } catch (CheckpointException e) {
      assertTrue(e.getMessage().startsWith("fuzz.safetensors: "), "message must name the file: " + e.getMessage());
    }
  }

  /** Opens the directory as a checkpoint and loads every tensor; only CheckpointException may escape. */
  static void loadOnlyThrowsCheckpointException(Path d) {
    try (Checkpoint c = Checkpoint.open(d)) {
      ModelWeights.load(c);
    } catch (CheckpointException e) {
      assertTrue(e.getMessage().contains(d.toString()), "message must name the file: " + e.getMessage());
    }
  }

  @Property(tries = 1000)
  void randomBytes(@ForAll byte[] header, @ForAll long dataBytes) {
    parseOnlyThrowsCheckpointException(header, Math.abs(dataBytes % (1L << 40)));
  }

  @Property(tries = 2000)
  void jsonishStrings(@ForAll("jsonish") String header) {
    parseOnlyThrowsCheckpointException(header.getBytes(StandardCharsets.UTF_8), 1 << 20);
  }

  @Provide
  Arbitrary<String> jsonish() {
    Arbitrary<String> token = Arbitraries.oneOf(
        Arbitraries.of("{", "}", "[", "]", ":", ",", " ", "\"", "\\", "null", "true", "false", "\"__metadata__\"",
            "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F32\"", "\"BF16\"", "\"F16\"", "\"U8\"", "\"I64\"",
            "\"F64\"", "\"x\"", "\"lm_head.weight\"", "0", "-1", "1e3", "0.5", "9223372036854775807",
            "9223372036854775808", "-9223372036854775808", "99999999999999999999999999", "4294967296", "\u00ff",
            "\uD83D\uDE00", "\u0000", "NaN", "'a'", "/*", "//"),
        Arbitraries.longs().map(l -> Long.toString(l)),
        Arbitraries.strings().ofMaxLength(6).map(s -> "\"" + s + "\""));
    return token.list().ofMaxSize(60).map(l -> String.join("", l));
  }

  /** Well-formed JSON whose entries hold random dtypes, shapes and offsets: overflow and range checks. */
  @Property(tries = 2000)
  void structuredHeaders(@ForAll("entries") List<String> entries, @ForAll long dataBytes) {
    String json = "{\"__metadata__\": {\"format\": \"pt\"}, " + String.join(", ", entries) + "}";
    parseOnlyThrowsCheckpointException(json.getBytes(StandardCharsets.UTF_8), Math.abs(dataBytes % (1L << 50)));
  }

  @Provide
  Arbitrary<List<String>> entries() {
    Arbitrary<Long> dim = Arbitraries.oneOf(Arbitraries.longs().between(0, 64), Arbitraries.longs(),
        Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, 1L << 62, 3037000500L));
    Arbitrary<String> entry = Combinators.combine(
        Arbitraries.of("a", "b", "c", "a"),
        Arbitraries.of("F32", "BF16", "F16", "U8", "I64", "F64", "bf16", ""),
        dim.list().ofMaxSize(5),
        dim.list().ofMinSize(0).ofMaxSize(3)).as((name, dt, shape, off) -> "\"" + name + "\": {\"dtype\": \"" + dt
            + "\", \"shape\": " + shape + ", \"data_offsets\": " + off + "}");
    return entry.list().ofMaxSize(4);
  }

  @Example
  void everyTruncationOfAValidHeader() {
    byte[] header = Arrays.copyOfRange(valid, 8, headerEnd);
    long dataBytes = valid.length - headerEnd;
    SafetensorsFile.parseHeader(header, dataBytes, "fuzz.safetensors"); // the whole header parses
    for (int len = 0; len < header.length; len++) {
      byte[] prefix = Arrays.copyOf(header, len);
      parseOnlyThrowsCheckpointException(prefix, dataBytes);
    }
  }

  /** Every byte of a valid header replaced in turn by each of a few troublesome values. */
  @Example
  void everyHeaderByteMutated() {
    byte[] header = Arrays.copyOfRange(valid, 8, headerEnd);
    long dataBytes = valid.length - headerEnd;
    byte[] values = {0, '"', '{', ',', ':', '9', '\\', (byte) 0xff};
    for (int i = 0; i < header.length; i++) {
      for (byte v : values) {
        byte[] m = header.clone();
        m[i] = v;
        parseOnlyThrowsCheckpointException(m, dataBytes);
      }
    }
  }

  /** Cuts the valid file at every length from its full size down to 0: only the full file opens. */
  @Example
  void everyTruncationOfAValidFile() throws IOException {
    Path d = dir.resolve("truncated");
    new SyntheticCheckpointWriter(SMALL, 1).write(d);
    Path f = d.resolve(Checkpoint.SINGLE);
    assertEquals(valid.length, Files.size(f));
    int opened = 0;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      for (long len = valid.length; len >= 0; len--) {
        ch.truncate(len);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
          opened++;
        } catch (CheckpointException e) {
          assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        }
      }
    }
    assertEquals(1, opened, "only the untruncated file may open");
  }

  @Property(tries = 300)
  void byteMutationsOfAValidFile(@ForAll("mutations") List<int[]> mutations) {
    byte[] b = valid.clone();
    for (int[] m : mutations) b[m[0]] = (byte) m[1];
    loadOnlyThrowsCheckpointException(writeModel(b));
  }

  /** Mostly in the header (where parsing happens), some in the 8-byte length, some in the data. */
  @Provide
  Arbitrary<List<int[]>> mutations() {
    Arbitrary<Integer> pos = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 7)),
        net.jqwik.api.Tuple.of(10, Arbitraries.integers().between(8, headerEnd - 1)),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(headerEnd, valid.length - 1)));
    Arbitrary<Integer> val = Arbitraries.oneOf(Arbitraries.integers().between(0, 255),
        Arbitraries.of((int) '{', (int) '}', (int) '[', (int) ']', (int) '"', (int) ',', (int) ':', (int) '-',
            (int) '9', (int) '0', 0x80, 0xff));
    return Combinators.combine(pos, val).as((p, v) -> new int[] {p, v}).list().ofMinSize(1).ofMaxSize(4);
  }

  @Example
  void giantAndNegativeHeaderLengths() {
    for (long len : new long[] {Long.MAX_VALUE, Long.MIN_VALUE, -1, 0, 1, 1L << 31, (1L << 31) - 1, 100L << 20,
        (100L << 20) + 1, valid.length}) {
      byte[] b = valid.clone();
      ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
      loadOnlyThrowsCheckpointException(writeModel(b));
    }
  }

  private static int counter;

  private static Path writeModel(byte[] safetensors) {
    try {
      Path d = dir.resolve("m" + (counter++ % 8));
      Files.createDirectories(d);
      Files.copy(dir.resolve("valid").resolve(Checkpoint.CONFIG), d.resolve(Checkpoint.CONFIG),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.write(d.resolve(Checkpoint.SINGLE), safetensors);
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
