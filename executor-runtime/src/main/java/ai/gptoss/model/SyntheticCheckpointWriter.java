package ai.gptoss.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Writes a GPT-OSS checkpoint with seeded random weights in the published layout: {@code config.json}
 * plus {@code model.safetensors}, or several {@code model-0000k-of-0000n.safetensors} shards with
 * {@code model.safetensors.index.json}. Expert weights are MXFP4 (U8 blocks and scales), everything
 * else BF16 by default (F32 or F16 on request).
 *
 * <p>The distributions are those of the reference fixtures ({@code reference_fixture.py
 * make_checkpoint}), so activations stay O(1) at any size: embeddings N(0,1), projections
 * N(0, 1/fan_in), biases N(0, 0.01), norms 1 + N(0, 0.01), sinks N(0,1), expert nibbles uniform over
 * all 256 byte values, expert scales {@code 127 + round(log2(1/(2.5 sqrt(fan_in)))) + {-1,0,1}}.
 * The normal draws are the Irwin-Hall sum of four uniforms (bounded at 3.46 sigma), cheap enough to
 * write a gpt-oss-20b-sized file at disk speed; segments of each tensor are generated on all cores.
 *
 * <p>Each tensor's values depend only on the seed and the tensor's name, so the same model written as
 * one file or as shards holds the same weights. Data is streamed tensor by tensor through one small
 * buffer per core; no file or tensor is ever held in memory.
 */
public final class SyntheticCheckpointWriter {
  /** Elements per independently seeded segment (4 MiB of F32 at most). */
  private static final int SEGMENT = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** How a tensor's values are drawn. */
  public enum Fill {
    NORMAL, // mean + std * N(0,1), stored in the dense dtype
    BYTES, // uniform random bytes (MXFP4 nibbles)
    SCALES // E8M0 scale bytes: mean + {-1, 0, 1}
  }

  /** One tensor to write: name, dtype and shape as they will appear in the header. */
  public record TensorSpec(String name, DType dtype, long[] shape, Fill fill, double mean, double std) {
    public long numel() {
      long n = 1;
      for (long d : shape) n = Math.multiplyExact(n, d);
      return n;
    }

    public long bytes() {
      return Math.multiplyExact(numel(), (long) dtype.bytes);
    }
  }

  private final ModelConfig config;
  private final long seed;
  private DType dense = DType.BF16;
  private int shards = 1;

  public SyntheticCheckpointWriter(ModelConfig config, long seed) {
    this.config = config;
    this.seed = seed;
  }

  /** The dtype of every non-expert tensor: BF16 (as published, the default), F32 or F16. */
  public SyntheticCheckpointWriter denseDType(DType dtype) {
    if (!dtype.isFloat()) throw new IllegalArgumentException("dense tensors must be F32, BF16 or F16, not " + dtype);
    dense = dtype;
    return this;
  }

  /** Number of files: 1 writes model.safetensors, more write shards plus model.safetensors.index.json. */
  public SyntheticCheckpointWriter shards(int n) {
    if (n < 1) throw new IllegalArgumentException("shards must be at least 1, got " + n);
    shards = n;
    return this;
  }

  /** Every tensor of the model, in file order (embedding, layers, final norm, unembedding). */
  public List<TensorSpec> tensors() {
    ModelConfig c = config;
    long v = c.vocabSize(), h = c.hiddenSize(), q = c.qDim(), k = c.kvDim(), e = c.numLocalExperts(),
        i = c.intermediateSize(), heads = c.numAttentionHeads();
    List<TensorSpec> t = new ArrayList<>();
    t.add(normal("model.embed_tokens.weight", 0, 1, v, h));
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".";
      t.add(normal(p + "input_layernorm.weight", 1, 0.1, h));
      t.add(normal(p + "post_attention_layernorm.weight", 1, 0.1, h));
      for (String n : new String[] {"q", "k", "v", "o"}) {
        long rows = n.equals("q") ? q : n.equals("o") ? h : k;
        long cols = n.equals("o") ? q : h;
        t.add(normal(p + "self_attn." + n + "_proj.weight", 0, 1 / Math.sqrt(cols), rows, cols));
        t.add(normal(p + "self_attn." + n + "_proj.bias", 0, 0.1, rows));
      }
      t.add(normal(p + "self_attn.sinks", 0, 1, heads));
      t.add(normal(p + "mlp.router.weight", 0, 1 / Math.sqrt(h), e, h));
      t.add(normal(p + "mlp.router.bias", 0, 0.1, e));
      String x = p + "mlp.experts.";
      addMxfp4(t, x + "gate_up_proj", e, 2 * i, h);
      t.add(normal(x + "gate_up_proj_bias", 0, 0.1, e, 2 * i));
      addMxfp4(t, x + "down_proj", e, h, i);
      t.add(normal(x + "down_proj_bias", 0, 0.1, e, h));
    }
    t.add(normal("model.norm.weight", 1, 0.1, h));
    t.add(normal("lm_head.weight", 0, 1 / Math.sqrt(h), v, h));
    return t;
  }

  private TensorSpec normal(String name, double mean, double std, long... shape) {
    return new TensorSpec(name, dense, shape, Fill.NORMAL, mean, std);
  }

  private static void addMxfp4(List<TensorSpec> t, String name, long experts, long rows, long cols) {
    long base = Mxfp4.SCALE_BIAS + Math.round(Math.log(1.0 / (Math.sqrt(cols) * 2.5)) / Math.log(2));
    t.add(new TensorSpec(name + "_blocks", DType.U8, new long[] {experts, rows, cols / Mxfp4.BLOCK,
        Mxfp4.BYTES_PER_BLOCK}, Fill.BYTES, 0, 0));
    t.add(new TensorSpec(name + "_scales", DType.U8, new long[] {experts, rows, cols / Mxfp4.BLOCK}, Fill.SCALES,
        base, 0));
  }

  /** Writes the checkpoint into {@code dir} (created if needed) and returns {@code dir}. */
  public Path write(Path dir) {
    try {
      Files.createDirectories(dir);
      JSON.writeValue(dir.resolve(Checkpoint.CONFIG).toFile(), config.toJson());
      List<TensorSpec> all = tensors();
      List<List<TensorSpec>> parts = split(all, shards);
      // a stale file of the other layout would shadow this one (the loader prefers the index)
      Files.deleteIfExists(dir.resolve(parts.size() == 1 ? Checkpoint.INDEX : Checkpoint.SINGLE));
      if (parts.size() == 1) {
        writeFile(dir.resolve(Checkpoint.SINGLE), all);
        return dir;
      }
      ObjectNode index = JSON.createObjectNode();
      long total = all.stream().mapToLong(TensorSpec::bytes).sum();
      index.putObject("metadata").put("total_size", total);
      ObjectNode map = index.putObject("weight_map");
      for (int s = 0; s < parts.size(); s++) {
        String file = String.format("model-%05d-of-%05d.safetensors", s + 1, parts.size());
        writeFile(dir.resolve(file), parts.get(s));
        for (TensorSpec t : parts.get(s)) map.put(t.name(), file);
      }
      JSON.writeValue(dir.resolve(Checkpoint.INDEX).toFile(), index);
      return dir;
    } catch (IOException ex) {
      throw new CheckpointException(dir + ": cannot write synthetic checkpoint: " + ex.getMessage(), ex);
    }
  }

  /** Splits the tensors, in order, into {@code n} runs of roughly equal bytes, none empty. */
  private static List<List<TensorSpec>> split(List<TensorSpec> all, int n) {
    if (n > all.size()) throw new IllegalArgumentException(n + " shards for only " + all.size() + " tensors");
    long total = all.stream().mapToLong(TensorSpec::bytes).sum();
    List<List<TensorSpec>> parts = new ArrayList<>();
    List<TensorSpec> cur = new ArrayList<>();
    long done = 0;
    for (int i = 0; i < all.size(); i++) {
      TensorSpec t = all.get(i);
      int remainingTensors = all.size() - i;
      int remainingShards = n - parts.size();
      boolean full = !cur.isEmpty() && done >= total * (parts.size() + 1) / n;
      if (remainingShards > 1 && !cur.isEmpty() && (full || remainingTensors < remainingShards)) {
        parts.add(cur);
        cur = new ArrayList<>();
      }
      cur.add(t);
      done += t.bytes();
    }
    parts.add(cur);
    return parts;
  }

  /** Writes one safetensors file: header length, space-padded JSON header, then each tensor's data. */
  private void writeFile(Path file, List<TensorSpec> tensors) throws IOException {
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("__metadata__", Map.of("format", "pt"));
    long off = 0;
    for (TensorSpec t : tensors) {
      header.put(t.name(), Map.of("dtype", t.dtype().name(), "shape", t.shape(), "data_offsets",
          new long[] {off, off + t.bytes()}));
      off += t.bytes();
    }
    byte[] json = new ObjectMapper().writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) head.put((byte) ' ');
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(ch, head.flip());
      for (TensorSpec t : tensors) writeData(ch, t);
    }
  }

  /**
   * A tensor's data in segments of {@link #SEGMENT} elements, each drawn from its own stream (seed,
   * tensor name, segment index), so segments are generated in parallel and written in order.
   */
  private void writeData(FileChannel ch, TensorSpec t) throws IOException {
    long n = t.numel();
    long segments = (n + SEGMENT - 1) / SEGMENT;
    int batch = Math.max(1, Runtime.getRuntime().availableProcessors());
    ByteBuffer[] out = new ByteBuffer[(int) Math.min(batch, segments)];
    for (long first = 0; first < segments; first += out.length) {
      long base = first;
      int count = (int) Math.min(out.length, segments - first);
      IntStream.range(0, count).parallel().forEach(k -> {
        if (out[k] == null) out[k] = ByteBuffer.allocate(SEGMENT * t.dtype().bytes).order(ByteOrder.LITTLE_ENDIAN);
        long segment = base + k;
        fillSegment(t, segment, (int) Math.min(SEGMENT, n - segment * SEGMENT), out[k].clear());
      });
      for (int k = 0; k < count; k++) writeFully(ch, out[k].flip());
    }
  }

  private void fillSegment(TensorSpec t, long segment, int count, ByteBuffer buf) {
    SplitMix64 rng = new SplitMix64(seed ^ nameHash(t.name()) ^ (segment * 0xd1b54a32d192ed03L));
    switch (t.fill()) {
      case BYTES -> {
        int words = count / 8;
        for (int i = 0; i < words; i++) buf.putLong(rng.next());
        for (int i = words * 8; i < count; i++) buf.put((byte) rng.next());
      }
      case SCALES -> {
        int base = (int) t.mean();
        for (int i = 0; i < count; i++) {
          buf.put((byte) (base - 1 + (int) (((rng.next() >>> 32) * 3) >>> 32))); // uniform over {-1, 0, 1}
        }
      }
      case NORMAL -> {
        float mean = (float) t.mean(), std = (float) t.std();
        switch (t.dtype()) {
          case F32 -> {
            for (int i = 0; i < count; i++) buf.putFloat(mean + std * rng.nextNormal());
          }
          case BF16 -> {
            for (int i = 0; i < count; i++) buf.putShort(toBf16(mean + std * rng.nextNormal()));
          }
          case F16 -> {
            for (int i = 0; i < count; i++) buf.putShort(toF16(mean + std * rng.nextNormal()));
          }
          default -> throw new IllegalStateException(t.dtype().name());
        }
      }
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) ch.write(buf);
  }

  /** FNV-1a of the name, so every tensor draws from its own stream. */
  private static long nameHash(String name) {
    long h = 0xcbf29ce484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** Float to bfloat16, round to nearest even (inputs here are finite). */
  static short toBf16(float f) {
    int b = Float.floatToRawIntBits(f);
    b += 0x7fff + ((b >>> 16) & 1);
    return (short) (b >>> 16);
  }

  /** Float to IEEE half, round to nearest even, subnormals included, overflow to infinity. */
  static short toF16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int e = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (e == 0xff) return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
    int exp = e - 127 + 15;
    if (exp >= 31) return (short) (sign | 0x7c00);
    if (exp <= 0) {
      int shift = 14 - exp; // value / 2^-24, from the 24-bit significand
      if (shift > 24) return (short) sign;
      int full = mant | 0x800000;
      int half = full >>> shift;
      int rem = full & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) == 1)) half++;
      return (short) (sign | half);
    }
    int half = (exp << 10) | (mant >>> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) half++; // a carry rounds into the exponent
    return (short) (sign | half);
  }

  /** SplitMix64 (Steele, Lea, Flood 2014): fast, seedable, and good enough for weights. */
  static final class SplitMix64 {
    private long state;

    SplitMix64(long seed) {
      state = seed;
    }

    long next() {
      long z = (state += 0x9e3779b97f4a7c15L);
      z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
      z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
      return z ^ (z >>> 31);
    }

    /** Approximately N(0,1): the centred sum of four 16-bit uniforms, scaled to unit variance. */
    float nextNormal() {
      long r = next();
      long s = (r & 0xffff) + ((r >>> 16) & 0xffff) + ((r >>> 32) & 0xffff) + (r >>> 48);
      return (float) ((s - 131070.0) * (1.0 / 37837.23));
    }
  }
}
