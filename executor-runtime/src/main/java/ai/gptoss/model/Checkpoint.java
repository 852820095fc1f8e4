package ai.gptoss.model;

import ai.gptoss.model.SafetensorsFile.TensorInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model directory laid out like the published {@code openai/gpt-oss-20b}: {@code config.json} plus
 * either {@code model.safetensors} or several shards listed in {@code model.safetensors.index.json}.
 * Reads tensors by name, checking shape and dtype; every error names the file and tensor. Tensors
 * are streamed through one reusable buffer, so one instance is for one loading thread at a time.
 */
public final class Checkpoint implements AutoCloseable {
  public static final String CONFIG = "config.json";
  public static final String SINGLE = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";
  /** Tensors are read in pieces of this many bytes (a multiple of every element size). */
  private static final int READ_CHUNK = 8 << 20;
  /** The axis argument of the slice reads that reads a tensor whole. */
  private static final int WHOLE = -1;

  private final Path dir;
  private final ModelConfig config;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> byTensor;
  private ByteBuffer io;

  private Checkpoint(Path dir, ModelConfig config, List<SafetensorsFile> files, Map<String, SafetensorsFile> byTensor) {
    this.dir = dir;
    this.config = config;
    this.files = files;
    this.byTensor = byTensor;
  }

  public static Checkpoint open(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException(dir + ": not a model directory (expected " + CONFIG + " and " + SINGLE + ")");
    }
    ModelConfig config = ModelConfig.read(dir.resolve(CONFIG));
    List<SafetensorsFile> files = new ArrayList<>();
    Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    try {
      Path index = dir.resolve(INDEX);
      if (Files.exists(index)) {
        Map<String, String> weightMap = readIndex(index);
        Map<String, SafetensorsFile> opened = new HashMap<>();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
          SafetensorsFile f = opened.get(e.getValue());
          if (f == null) {
            Path shard = dir.resolve(e.getValue()).normalize();
            if (!shard.startsWith(dir.normalize())) {
              throw new CheckpointException(index + ": weight_map maps tensor '" + e.getKey() + "' to '" + e.getValue()
                  + "', which lies outside the model directory");
            }
            if (!Files.isRegularFile(shard)) {
              throw new CheckpointException(index + ": weight_map maps tensor '" + e.getKey() + "' to '" + e.getValue()
                  + "', but " + shard + " is missing");
            }
            f = SafetensorsFile.open(shard);
            opened.put(e.getValue(), f);
            files.add(f);
          }
          if (!f.tensors().containsKey(e.getKey())) {
            throw new CheckpointException(index + ": weight_map maps tensor '" + e.getKey() + "' to " + e.getValue()
                + " but that file does not contain it");
          }
          byTensor.put(e.getKey(), f);
        }
      } else if (Files.exists(dir.resolve(SINGLE))) {
        SafetensorsFile f = SafetensorsFile.open(dir.resolve(SINGLE));
        files.add(f);
        for (String name : f.tensors().keySet()) byTensor.put(name, f);
      } else {
        throw new CheckpointException(dir + ": no " + SINGLE + " and no " + INDEX + " (the weights are missing)");
      }
    } catch (RuntimeException e) {
      files.forEach(SafetensorsFile::close);
      throw e;
    }
    return new Checkpoint(dir, config, files, byTensor);
  }

  private static Map<String, String> readIndex(Path index) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(index));
    } catch (JsonProcessingException e) {
      throw new CheckpointException(index + ": not valid JSON: " + e.getOriginalMessage() + " at line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr(), e);
    } catch (IOException e) {
      throw new CheckpointException(index + ": cannot read: " + e, e);
    }
    JsonNode wm = root == null ? null : root.get("weight_map");
    if (wm == null || !wm.isObject()) throw new CheckpointException(index + ": key 'weight_map' is missing or not an object");
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) throw new CheckpointException(index + ": weight_map entry '" + e.getKey() + "' is not a file name");
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  public Path dir() {
    return dir;
  }

  public ModelConfig config() {
    return config;
  }

  /** The safetensors files this checkpoint reads (one, or every shard the index names). */
  public List<Path> files() {
    return files.stream().map(SafetensorsFile::path).toList();
  }

  /** Names of every tensor, in file order. */
  public List<String> tensorNames() {
    return List.copyOf(byTensor.keySet());
  }

  public boolean has(String name) {
    return byTensor.containsKey(name);
  }

  /** Where the tensor list comes from: model.safetensors, or the index for sharded checkpoints. */
  private Path tensorListFile() {
    return files.size() == 1 && !Files.exists(dir.resolve(INDEX)) ? files.get(0).path() : dir.resolve(INDEX);
  }

  /** Tensor metadata; throws naming the file searched and the tensor if it is missing. */
  public TensorInfo info(String name) {
    SafetensorsFile f = byTensor.get(name);
    if (f == null) {
      throw new CheckpointException(tensorListFile() + ": tensor '" + name + "' is missing from the checkpoint");
    }
    return f.tensors().get(name);
  }

  /** The file holding a tensor. */
  public Path fileOf(String name) {
    info(name);
    return byTensor.get(name).path();
  }

  /**
   * One expected dimension of a tensor and the config.json keys it comes from, so a mismatch can
   * name the key that contradicts the file.
   */
  public record Dim(long size, String from) {
    public static Dim of(long size) {
      return new Dim(size, null);
    }
  }

  private static Dim[] unnamed(long[] shape) {
    Dim[] d = new Dim[shape.length];
    for (int i = 0; i < shape.length; i++) d[i] = Dim.of(shape[i]);
    return d;
  }

  private TensorInfo checked(String name, Dim[] dims) {
    TensorInfo t = info(name);
    Path file = fileOf(name);
    if (t.dtype() == null) {
      throw new CheckpointException(file + ": tensor '" + name + "' has unsupported dtype " + t.dtypeName()
          + " (F32, BF16, F16 and U8 load)");
    }
    long[] shape = new long[dims.length];
    for (int i = 0; i < dims.length; i++) shape[i] = dims[i].size();
    if (!Arrays.equals(t.shape(), shape)) {
      StringBuilder why = new StringBuilder();
      why.append(file).append(": tensor '").append(name).append("' has shape ").append(t.shapeString())
          .append(" but ").append(dir.resolve(CONFIG)).append(" implies ").append(Arrays.toString(shape));
      if (t.shape().length != shape.length) {
        why.append(" (").append(t.shape().length).append(" dimensions instead of ").append(shape.length).append(")");
      } else {
        for (int i = 0; i < shape.length; i++) {
          if (t.shape()[i] != shape[i]) {
            why.append("; dimension ").append(i).append(" is ").append(t.shape()[i]).append(" in the file but ");
            why.append(dims[i].from() == null ? "should be " + shape[i] : dims[i].from() + " = " + shape[i]);
          }
        }
      }
      throw new CheckpointException(why.toString());
    }
    return t;
  }

  private int arrayLength(TensorInfo t, Path file, long n) {
    if (n > Integer.MAX_VALUE - 8) {
      throw new CheckpointException(file + ": tensor '" + t.name() + "' " + t.shapeString() + " has " + n
          + " elements, more than one Java array holds");
    }
    return (int) n;
  }

  /** Reads a float tensor (F32, BF16 or F16 on disk) as float32. */
  public float[] readFloats(String name, long... shape) {
    return readFloats(name, unnamed(shape));
  }

  /** Reads a float tensor whose expected dimensions name the config keys they come from. */
  public float[] readFloats(String name, Dim... dims) {
    return readFloatSlice(name, WHOLE, 0, 0, dims);
  }

  /**
   * Reads the part {@code [from, to)} along dimension {@code axis} of a float tensor (one rank's shard): the result
   * has the tensor's shape with that dimension {@code to - from} long. Only those bytes are read.
   */
  public float[] readFloatSlice(String name, int axis, long from, long to, Dim... dims) {
    TensorInfo t = checked(name, dims);
    Path path = fileOf(name);
    if (!t.dtype().isFloat()) {
      throw new CheckpointException(path + ": tensor '" + name + "' is " + t.dtypeName()
          + " but a floating-point tensor (F32/BF16/F16) is required");
    }
    Slice s = Slice.of(t, axis, from, to, path);
    float[] out = new float[arrayLength(t, path, s.elements())];
    for (long o = 0; o < s.outer(); o++) {
      readFloatRun(t, s.runStart(o) * t.dtype().bytes, s.run() * t.dtype().bytes, out, (int) (o * s.run()));
    }
    return out;
  }

  /** Reads {@code bytes} bytes of a float tensor from {@code byteOff} on, converted, into {@code out[done..]}. */
  private void readFloatRun(TensorInfo t, long byteOff, long bytes, float[] out, int done) {
    SafetensorsFile f = byTensor.get(t.name());
    ByteBuffer buf = ioBuffer(bytes);
    int chunk = buf.capacity() & ~3;
    short[] halves = t.dtype() == DType.F32 ? null : new short[chunk / 2];
    for (long off = 0; off < bytes; off += chunk) {
      int len = (int) Math.min(chunk, bytes - off);
      buf.clear().limit(len);
      f.read(t, byteOff + off, buf);
      buf.flip();
      switch (t.dtype()) {
        case F32 -> buf.asFloatBuffer().get(out, done, len / 4);
        case BF16 -> {
          buf.asShortBuffer().get(halves, 0, len / 2);
          for (int i = 0; i < len / 2; i++) out[done + i] = Float.intBitsToFloat((halves[i] & 0xffff) << 16);
        }
        case F16 -> {
          buf.asShortBuffer().get(halves, 0, len / 2);
          for (int i = 0; i < len / 2; i++) out[done + i] = Float16.toFloat(halves[i]);
        }
        default -> throw new IllegalStateException();
      }
      done += len / t.dtype().bytes;
    }
  }

  /** Reads a U8 tensor (MXFP4 blocks and scales) as raw bytes, packed as on disk. */
  public byte[] readBytes(String name, long... shape) {
    return readBytes(name, unnamed(shape));
  }

  /** Reads a U8 tensor whose expected dimensions name the config keys they come from. */
  public byte[] readBytes(String name, Dim... dims) {
    return readByteSlice(name, WHOLE, 0, 0, dims);
  }

  /** As {@link #readFloatSlice}, for a U8 tensor (MXFP4 blocks and scales). */
  public byte[] readByteSlice(String name, int axis, long from, long to, Dim... dims) {
    TensorInfo t = checked(name, dims);
    Path path = fileOf(name);
    if (t.dtype() != DType.U8) {
      throw new CheckpointException(path + ": tensor '" + name + "' is " + t.dtypeName()
          + " but MXFP4 blocks and scales must be U8");
    }
    Slice s = Slice.of(t, axis, from, to, path);
    byte[] out = new byte[arrayLength(t, path, s.elements())];
    SafetensorsFile f = byTensor.get(name);
    for (long o = 0; o < s.outer(); o++) {
      int base = (int) (o * s.run());
      ByteBuffer buf = ioBuffer(s.run());
      int chunk = buf.capacity();
      for (long off = 0; off < s.run(); off += chunk) {
        int len = (int) Math.min(chunk, s.run() - off);
        buf.clear().limit(len);
        f.read(t, s.runStart(o) + off, buf);
        buf.flip().get(out, base + (int) off, len);
      }
    }
    return out;
  }

  /**
   * The part {@code [from, to)} of dimension {@code axis} as {@code outer} contiguous runs of {@code run} elements:
   * run {@code o} starts at element {@link #runStart}.
   */
  private record Slice(long outer, long run, long stride, long skip) {
    static Slice of(TensorInfo t, int axis, long from, long to, Path file) {
      if (axis == WHOLE) return new Slice(1, t.numel(), 0, 0);
      long[] shape = t.shape();
      if (axis < 0 || axis >= shape.length || from < 0 || to > shape[axis] || from > to) {
        throw new CheckpointException(file + ": tensor '" + t.name() + "' " + t.shapeString() + " has no part ["
            + from + ", " + to + ") along dimension " + axis);
      }
      long outer = 1, inner = 1;
      for (int i = 0; i < axis; i++) outer *= shape[i];
      for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
      return new Slice(outer, (to - from) * inner, shape[axis] * inner, from * inner);
    }

    long runStart(long o) {
      return o * stride + skip;
    }

    long elements() {
      return outer * run;
    }
  }

  /** One direct buffer per checkpoint for all reads (loading is single-threaded), grown up to READ_CHUNK. */
  private ByteBuffer ioBuffer(long tensorBytes) {
    int want = (int) Math.min(READ_CHUNK, Math.max(4096, tensorBytes));
    if (io == null || io.capacity() < want) io = ByteBuffer.allocateDirect(want).order(ByteOrder.LITTLE_ENDIAN);
    return io;
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
    io = null;
  }

  /** IEEE half precision to float (Float.float16ToFloat arrived only in Java 20). */
  static final class Float16 {
    static float toFloat(short h) {
      int bits = h & 0xffff;
      int sign = (bits & 0x8000) << 16;
      int exp = (bits >>> 10) & 0x1f;
      int mant = bits & 0x3ff;
      if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
      if (exp == 0) {
        if (mant == 0) return Float.intBitsToFloat(sign);
        float v = mant * 0x1p-24f;
        return sign != 0 ? -v : v;
      }
      return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
  }
}
