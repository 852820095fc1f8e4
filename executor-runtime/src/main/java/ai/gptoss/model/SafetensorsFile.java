package ai.gptoss.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file: an 8-byte little-endian header length, a JSON header mapping tensor names
 * to {dtype, shape, data_offsets}, then the raw little-endian data. The header is validated
 * completely on open; tensor data is streamed straight from the file by positional reads (or mapped
 * with {@link #map}), never parsed through an object tree.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Headers are a few hundred KB even for 120b; anything far larger is corruption. */
  static final long MAX_HEADER_BYTES = 100L << 20;

  private static final JsonFactory JSON = new JsonFactory();

  /** Where one tensor lives in the file. */
  public record TensorInfo(String name, String dtypeName, DType dtype, long[] shape, long begin, long end) {
    public long numel() {
      long n = 1;
      for (long d : shape) n *= d;
      return n;
    }

    public String shapeString() {
      return Arrays.toString(shape);
    }
  }

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;

  private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
  }

  public static SafetensorsFile open(Path path) {
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new CheckpointException(path + ": missing safetensors file");
    } catch (IOException e) {
      throw new CheckpointException(path + ": cannot open: " + e.getMessage(), e);
    }
    try {
      long size = ch.size();
      if (size < 8) throw new CheckpointException(path + ": truncated safetensors file (" + size + " bytes, no header length)");
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0, path);
      long headerLen = lenBuf.getLong(0);
      if (headerLen <= 1 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
        throw new CheckpointException(path + ": malformed safetensors header: header length " + headerLen
            + " does not fit a file of " + size + " bytes (truncated, or not a safetensors file)");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      readFully(ch, header, 8, path);
      Map<String, TensorInfo> tensors = parseHeader(header.array(), size - 8 - headerLen, path.toString());
      return new SafetensorsFile(path, ch, 8 + headerLen, tensors);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path path) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos + buf.position());
      if (n < 0) throw new CheckpointException(path + ": truncated safetensors file");
    }
  }

  /**
   * Parses and validates a header. Throws only {@link CheckpointException}, whatever the bytes.
   *
   * @param dataBytes bytes of tensor data after the header
   */
  static Map<String, TensorInfo> parseHeader(byte[] header, long dataBytes, String where) {
    Map<String, TensorInfo> out = new LinkedHashMap<>();
    try (JsonParser p = JSON.createParser(header)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw malformed(where, "header is not a JSON object");
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (p.nextToken() != JsonToken.START_OBJECT) throw malformed(where, "entry '" + name + "' is not an object");
        if (name.equals("__metadata__")) {
          p.skipChildren();
          continue;
        }
        if (out.containsKey(name)) throw malformed(where, "tensor '" + name + "' appears twice");
        out.put(name, parseEntry(p, name, dataBytes, where));
      }
      if (t != JsonToken.END_OBJECT) throw malformed(where, "header JSON does not end after the top-level object");
      // Trailing bytes may only be the spaces safetensors pads the header with.
      JsonToken rest;
      try {
        rest = p.nextToken();
      } catch (IOException e) {
        throw malformed(where, "junk after the header object");
      }
      if (rest != null) throw malformed(where, "junk after the header object");
    } catch (CheckpointException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw malformed(where, "header is not valid JSON (" + e.getClass().getSimpleName() + ": "
          + firstLine(e.getMessage()) + ")");
    }
    return Collections.unmodifiableMap(out);
  }

  private static TensorInfo parseEntry(JsonParser p, String name, long dataBytes, String where) throws IOException {
    String dtype = null;
    long[] shape = null;
    long[] offsets = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      JsonToken v = p.nextToken();
      switch (key) {
        case "dtype" -> {
          if (v != JsonToken.VALUE_STRING) throw malformed(where, "tensor '" + name + "': dtype is not a string");
          dtype = p.getText();
        }
        case "shape" -> shape = longArray(p, v, name, "shape", where);
        case "data_offsets" -> offsets = longArray(p, v, name, "data_offsets", where);
        default -> p.skipChildren();
      }
    }
    if (dtype == null || shape == null || offsets == null) {
      throw malformed(where, "tensor '" + name + "' lacks dtype, shape or data_offsets");
    }
    if (offsets.length != 2 || offsets[0] > offsets[1]) {
      throw malformed(where, "tensor '" + name + "': data_offsets " + Arrays.toString(offsets) + " is not [begin, end]");
    }
    if (offsets[1] > dataBytes) {
      throw new CheckpointException(where + ": tensor '" + name + "': data_offsets " + Arrays.toString(offsets)
          + " run past the end of the file (" + dataBytes + " data bytes): truncated file?");
    }
    DType dt = DType.parse(dtype);
    if (dt != null) {
      long numel = 1;
      for (long d : shape) {
        numel = d == 0 ? 0 : numel;
        if (numel != 0 && d > Long.MAX_VALUE / 8 / numel) {
          throw malformed(where, "tensor '" + name + "': shape " + Arrays.toString(shape) + " is impossibly large");
        }
        numel *= d;
      }
      long expect = numel * dt.bytes;
      if (offsets[1] - offsets[0] != expect) {
        throw malformed(where, "tensor '" + name + "': " + dtype + " " + Arrays.toString(shape) + " needs " + expect
            + " bytes but data_offsets span " + (offsets[1] - offsets[0]));
      }
    }
    return new TensorInfo(name, dtype, dt, shape, offsets[0], offsets[1]);
  }

  private static long[] longArray(JsonParser p, JsonToken v, String name, String key, String where) throws IOException {
    if (v != JsonToken.START_ARRAY) throw malformed(where, "tensor '" + name + "': " + key + " is not a list");
    List<Long> vals = new ArrayList<>();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t != JsonToken.VALUE_NUMBER_INT) throw malformed(where, "tensor '" + name + "': " + key + " holds a non-integer");
      long x;
      try {
        x = p.getLongValue();
      } catch (IOException e) {
        throw malformed(where, "tensor '" + name + "': " + key + " value out of range");
      }
      if (x < 0) throw malformed(where, "tensor '" + name + "': " + key + " holds a negative value " + x);
      vals.add(x);
      if (vals.size() > 16) throw malformed(where, "tensor '" + name + "': " + key + " is too long");
    }
    return vals.stream().mapToLong(Long::longValue).toArray();
  }

  private static CheckpointException malformed(String where, String why) {
    return new CheckpointException(where + ": malformed safetensors header: " + why);
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  public Path path() {
    return path;
  }

  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /**
   * Maps {@code [begin, end)} of a tensor's data read-only. The caller converts it; the map is
   * released by the GC. Tensors over 2 GiB are mapped in parts by {@link #map(TensorInfo, long, int)}.
   */
  public ByteBuffer map(TensorInfo t, long offsetInTensor, int length) {
    try {
      return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + offsetInTensor, length)
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new CheckpointException(path + ": cannot read tensor '" + t.name() + "': " + e.getMessage(), e);
    }
  }

  /**
   * Reads {@code buf.remaining()} bytes of a tensor's data starting {@code offsetInTensor} bytes into
   * it, by positional reads (sequential, no page faults, read-ahead friendly). A file that shrank
   * since it was opened is reported as truncated.
   */
  public void read(TensorInfo t, long offsetInTensor, ByteBuffer buf) {
    if (offsetInTensor < 0 || offsetInTensor + buf.remaining() > t.end() - t.begin()) {
      throw new IllegalArgumentException("read of " + buf.remaining() + " bytes at " + offsetInTensor
          + " outside tensor '" + t.name() + "'");
    }
    long pos = dataStart + t.begin() + offsetInTensor;
    try {
      while (buf.hasRemaining()) {
        int n = channel.read(buf, pos);
        if (n < 0) {
          throw new CheckpointException(path + ": tensor '" + t.name() + "': the file ends at byte " + pos
              + " inside the tensor's data (truncated while open?)");
        }
        pos += n;
      }
    } catch (IOException e) {
      throw new CheckpointException(path + ": cannot read tensor '" + t.name() + "': " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    closeQuietly(channel);
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // closing a read-only channel cannot lose data
    }
  }
}
