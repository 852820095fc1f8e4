package ai.gptoss.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

/** Test helper that damages small safetensors files in controlled ways. */
final class SafetensorsSurgery {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SafetensorsSurgery() {}

  static long headerLength(byte[] file) {
    return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  static ObjectNode header(Path file) {
    try {
      byte[] b = Files.readAllBytes(file);
      return (ObjectNode) JSON.readTree(Arrays.copyOfRange(b, 8, 8 + (int) headerLength(b)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Edits the JSON header in place, keeping the data bytes. */
  static void editHeader(Path file, Consumer<ObjectNode> edit) {
    ObjectNode h = header(file);
    edit.accept(h);
    try {
      replaceHeader(file, JSON.writeValueAsBytes(h));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces the header bytes verbatim (any bytes at all), keeping the data bytes. */
  static void replaceHeader(Path file, byte[] header) {
    try {
      byte[] b = Files.readAllBytes(file);
      int oldLen = (int) headerLength(b);
      byte[] data = Arrays.copyOfRange(b, 8 + oldLen, b.length);
      ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
      out.putLong(header.length).put(header).put(data);
      Files.write(file, out.array());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void replaceHeader(Path file, String header) {
    replaceHeader(file, header.getBytes(StandardCharsets.UTF_8));
  }

  static void truncate(Path file, long length) {
    try {
      byte[] b = Files.readAllBytes(file);
      Files.write(file, Arrays.copyOf(b, (int) length));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void editConfig(Path dir, Consumer<ObjectNode> edit) {
    try {
      Path f = dir.resolve(Checkpoint.CONFIG);
      ObjectNode c = (ObjectNode) JSON.readTree(f.toFile());
      edit.accept(c);
      JSON.writeValue(f.toFile(), c);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
