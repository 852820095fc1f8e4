package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.backend.Bf16;
import ai.gptoss.backend.YarnRope;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;

/**
 * The weights on the GPU, in one arena: dense matrices as bf16, experts kept MXFP4 exactly as
 * published, vectors (norms, biases, sinks) as float32. q, k and v are stored as one fused matrix.
 * Shapes: V=vocab, H=hidden, Q=heads*head_dim, K=kv_heads*head_dim, E=experts, I=intermediate. A rank of an
 * engine spanning several GPUs holds a model of its shard's shapes ({@code ParallelPlan.rankConfig}), only its
 * {@link #vocabRows} rows of the embedding and the LM head (vocab parallel) and, with expert parallelism, the weights of
 * only {@link #experts} of the E experts the router chooses among.
 */
final class DeviceModel implements AutoCloseable {
  /** Device addresses of one layer's tensors. */
  record Layer(
      long inputNorm, // [H] f32
      long postNorm, // [H] f32
      long wqkv, // [Q+2K, H] bf16
      long bqkv, // [Q+2K] f32
      long wo, // [H, Q] bf16
      long bo, // [H] f32
      long sinks, // [heads] f32
      long router, // [E, H] bf16
      long routerBias, // [E] f32
      long gateUpBlocks, // [E, 2I, H/32, 16] u8
      long gateUpScales, // [E, H/32, 2I] u8, transposed from the checkpoint's [E, 2I, H/32]
      long gateUpBias, // [E, 2I] f32
      long downBlocks, // [E, H, I/32, 16] u8
      long downScales, // [E, I/32, H] u8, transposed from [E, H, I/32]
      long downBias) {} // [E, H] f32

  final ModelConfig c;
  /** The experts whose weights are held: E, or an expert-parallel rank's share (the router still scores all E). */
  final int experts;
  /** The vocabulary rows of the embedding and the LM head held: V, or a rank's share. */
  final int vocabRows;
  final DeviceArena arena;
  final long embed; // [vocabRows, H] bf16
  final long lmHead; // [vocabRows, H] bf16
  final long norm; // [H] f32
  final long invFreq; // [head_dim/2] f32
  final List<Layer> layers = new ArrayList<>();

  /** Bytes the arena needs for {@code c}. */
  static long bytes(ModelConfig c) {
    return bytes(c, c.numLocalExperts(), c.vocabSize());
  }

  /** Bytes the arena needs for {@code c} holding the weights of {@code experts} experts and {@code vocabRows} rows. */
  static long bytes(ModelConfig c, int experts, int vocabRows) {
    long v = vocabRows, h = c.hiddenSize(), q = c.qDim(), k = c.kvDim(), r = c.numLocalExperts(), e = experts,
        i = c.intermediateSize();
    long total = 2 * DeviceArena.aligned(v * h * 2) + DeviceArena.aligned(h * 4) + DeviceArena.aligned(c.headDim() * 2L);
    long perLayer = 2 * DeviceArena.aligned(h * 4) + DeviceArena.aligned((q + 2 * k) * h * 2) + DeviceArena.aligned((q + 2 * k) * 4)
        + DeviceArena.aligned(h * q * 2) + DeviceArena.aligned(h * 4) + DeviceArena.aligned(c.numAttentionHeads() * 4L)
        + DeviceArena.aligned(r * h * 2) + DeviceArena.aligned(r * 4)
        + DeviceArena.aligned(e * 2 * i * h / 2) + DeviceArena.aligned(e * 2 * i * h / 32) + DeviceArena.aligned(e * 2 * i * 4)
        + DeviceArena.aligned(e * h * i / 2) + DeviceArena.aligned(e * h * i / 32) + DeviceArena.aligned(e * h * 4);
    return total + perLayer * c.numHiddenLayers();
  }

  /** Reserves the arena and lays out every tensor (contents undefined until filled). */
  private DeviceModel(ModelConfig c, int experts, int vocabRows) {
    this(c, experts, vocabRows, new DeviceArena("model weights", bytes(c, experts, vocabRows)));
  }

  /** The tensor layout over {@code arena}. */
  private DeviceModel(ModelConfig c, int experts, int vocabRows, DeviceArena arena) {
    this.c = c;
    this.experts = experts;
    this.vocabRows = vocabRows;
    long v = vocabRows, h = c.hiddenSize(), q = c.qDim(), k = c.kvDim(), r = c.numLocalExperts(), e = experts,
        i = c.intermediateSize();
    this.arena = arena;
    embed = arena.alloc(v * h * 2);
    lmHead = arena.alloc(v * h * 2);
    norm = arena.alloc(h * 4);
    invFreq = arena.alloc(c.headDim() * 2L);
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      layers.add(new Layer(arena.alloc(h * 4), arena.alloc(h * 4), arena.alloc((q + 2 * k) * h * 2), arena.alloc((q + 2 * k) * 4),
          arena.alloc(h * q * 2), arena.alloc(h * 4), arena.alloc(c.numAttentionHeads() * 4L),
          arena.alloc(r * h * 2), arena.alloc(r * 4),
          arena.alloc(e * 2 * i * h / 2), arena.alloc(e * 2 * i * h / 32), arena.alloc(e * 2 * i * 4),
          arena.alloc(e * h * i / 2), arena.alloc(e * h * i / 32), arena.alloc(e * h * 4)));
    }
  }

  /** The addresses {@link #hostImage(ModelWeights, int)} writes at (offsets from the arena's start), for tests. */
  static DeviceModel layout(ModelConfig c, int experts, int vocabRows) {
    return new DeviceModel(c, experts, vocabRows, DeviceArena.layoutOnly("layout", bytes(c, experts, vocabRows)));
  }

  /** Uploads host weights (dense float32 is rounded to bf16; checkpoints store bf16, so exactly). */
  static DeviceModel upload(ModelWeights w) {
    return upload(w, w.config.numLocalExperts(), w.config.vocabSize());
  }

  /**
   * As {@link #upload(ModelWeights)}, for weights holding {@code experts} experts (an expert-parallel rank's) and
   * {@code vocabRows} rows of the embedding and the LM head (a rank's vocabulary share).
   */
  static DeviceModel upload(ModelWeights w, int experts, int vocabRows) {
    DeviceModel m = new DeviceModel(w.config, experts, vocabRows);
    try (Uploader up = new Uploader(new DeviceSink())) {
      m.write(w, up);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    return m;
  }

  /**
   * Streams a checkpoint to the GPU without a float copy on the host: bf16 matrices and MXFP4 blocks
   * go from the file through one staging buffer to their place in the arena; only vectors and the
   * (1/32-size) scales, which are transposed, pass through Java arrays.
   */
  static DeviceModel load(Checkpoint ckpt) {
    DeviceModel m = new DeviceModel(ckpt.config(), ckpt.config().numLocalExperts(), ckpt.config().vocabSize());
    try (Uploader up = new Uploader(new DeviceSink()); CheckpointStream in = new CheckpointStream(ckpt)) {
      m.write(in, up);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    return m;
  }

  /** The arena image {@link #upload} would make, on the host (tests compare the two load paths). */
  static byte[] hostImage(ModelWeights w) {
    return hostImage(w, w.config.numLocalExperts(), w.config.vocabSize());
  }

  /** The arena image {@link #upload(ModelWeights, int, int)} would make, on the host. */
  static byte[] hostImage(ModelWeights w, int experts, int vocabRows) {
    DeviceModel m = new DeviceModel(w.config, experts, vocabRows,
        DeviceArena.layoutOnly("host image", bytes(w.config, experts, vocabRows)));
    HostSink sink = new HostSink(m.arena.capacity());
    m.write(w, new Uploader(sink));
    return sink.image;
  }

  /** The arena image {@link #load} would make, on the host. */
  static byte[] hostImage(Checkpoint ckpt) {
    ModelConfig c = ckpt.config();
    DeviceModel m = new DeviceModel(c, c.numLocalExperts(), c.vocabSize(), DeviceArena.layoutOnly("host image", bytes(c)));
    HostSink sink = new HostSink(m.arena.capacity());
    try (CheckpointStream in = new CheckpointStream(ckpt)) {
      m.write(in, new Uploader(sink));
    }
    return sink.image;
  }

  private void write(ModelWeights w, Uploader up) {
    long rows = (long) vocabRows * c.hiddenSize();
    if (w.embedTokens.length != rows || w.lmHead.length != rows) {
      throw new IllegalArgumentException("embedding and LM head of " + w.embedTokens.length + " and " + w.lmHead.length
          + " floats for " + vocabRows + " vocabulary rows of " + c.hiddenSize());
    }
    up.bf16(embed, w.embedTokens);
    up.bf16(lmHead, w.lmHead);
    up.f32(norm, w.norm);
    up.f32(invFreq, new YarnRope(c).invFreq());
    for (int l = 0; l < w.layers.size(); l++) {
      ModelWeights.Layer s = w.layers.get(l);
      Layer d = layers.get(l);
      up.f32(d.inputNorm(), s.inputLayernorm());
      up.f32(d.postNorm(), s.postAttentionLayernorm());
      up.bf16(d.wqkv(), concat(s.qProj(), s.kProj(), s.vProj()));
      up.f32(d.bqkv(), concat(s.qBias(), s.kBias(), s.vBias()));
      up.bf16(d.wo(), s.oProj());
      up.f32(d.bo(), s.oBias());
      up.f32(d.sinks(), s.sinks());
      up.bf16(d.router(), s.routerWeight());
      up.f32(d.routerBias(), s.routerBias());
      up.bytes(d.gateUpBlocks(), s.gateUpBlocks());
      up.bytes(d.gateUpScales(), transposeScales(s.gateUpScales(), experts, 2 * c.intermediateSize(),
          c.hiddenSize() / 32));
      up.f32(d.gateUpBias(), s.gateUpBias());
      up.bytes(d.downBlocks(), s.downBlocks());
      up.bytes(d.downScales(), transposeScales(s.downScales(), experts, c.hiddenSize(),
          c.intermediateSize() / 32));
      up.f32(d.downBias(), s.downBias());
    }
  }

  private void write(CheckpointStream in, Uploader up) {
    long v = c.vocabSize(), h = c.hiddenSize(), q = c.qDim(), k = c.kvDim(), e = c.numLocalExperts(), i = c.intermediateSize();
    in.bf16("model.embed_tokens.weight", up, embed, v, h);
    in.bf16("lm_head.weight", up, lmHead, v, h);
    up.f32(norm, in.floats("model.norm.weight", h));
    up.f32(invFreq, new YarnRope(c).invFreq());
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".", a = p + "self_attn.", x = p + "mlp.experts.";
      Layer d = layers.get(l);
      up.f32(d.inputNorm(), in.floats(p + "input_layernorm.weight", h));
      up.f32(d.postNorm(), in.floats(p + "post_attention_layernorm.weight", h));
      in.bf16(a + "q_proj.weight", up, d.wqkv(), q, h);
      in.bf16(a + "k_proj.weight", up, d.wqkv() + q * h * 2, k, h);
      in.bf16(a + "v_proj.weight", up, d.wqkv() + (q + k) * h * 2, k, h);
      up.f32(d.bqkv(), concat(in.floats(a + "q_proj.bias", q), in.floats(a + "k_proj.bias", k), in.floats(a + "v_proj.bias", k)));
      in.bf16(a + "o_proj.weight", up, d.wo(), h, q);
      up.f32(d.bo(), in.floats(a + "o_proj.bias", h));
      up.f32(d.sinks(), in.floats(a + "sinks", c.numAttentionHeads()));
      in.bf16(p + "mlp.router.weight", up, d.router(), e, h);
      up.f32(d.routerBias(), in.floats(p + "mlp.router.bias", e));
      in.bytes(x + "gate_up_proj_blocks", up, d.gateUpBlocks(), e, 2 * i, h / 32, 16);
      up.bytes(d.gateUpScales(), transposeScales(in.bytes(x + "gate_up_proj_scales", e, 2 * i, h / 32),
          (int) e, (int) (2 * i), (int) (h / 32)));
      up.f32(d.gateUpBias(), in.floats(x + "gate_up_proj_bias", e, 2 * i));
      in.bytes(x + "down_proj_blocks", up, d.downBlocks(), e, h, i / 32, 16);
      up.bytes(d.downScales(), transposeScales(in.bytes(x + "down_proj_scales", e, h, i / 32), (int) e, (int) h, (int) (i / 32)));
      up.f32(d.downBias(), in.floats(x + "down_proj_bias", e, h));
    }
  }

  /**
   * Random weights generated on the device (no files, no host copies), scaled like the published
   * models so activations stay in range: the synthetic models of the benchmark.
   */
  static DeviceModel synthetic(ModelConfig c, Kernels k, long seed) {
    DeviceModel m = new DeviceModel(c, c.numLocalExperts(), c.vocabSize());
    try {
      long v = c.vocabSize(), h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), e = c.numLocalExperts(), i = c.intermediateSize();
      int[] s = {(int) seed};
      Filler f = (addr, count, kind, scale, offset) -> {
        k.launch("synthetic_fill", new KernelStruct.FillArgs(addr, count, kind, s[0]++, scale, offset),
            (int) Math.min(65535, (count + 255) / 256), 1, 256);
      };
      f.fill(m.embed, v * h, 0, 1f, 0f);
      f.fill(m.lmHead, v * h, 0, 0.02f, 0f);
      f.fill(m.norm, h, 3, 0.1f, 1f);
      float[] inv = new YarnRope(c).invFreq();
      try (Uploader up = new Uploader(new DeviceSink())) {
        up.f32(m.invFreq, inv);
      }
      int muScaleH = 127 + (int) Math.round(Math.log(1.0 / (Math.sqrt(h) * 2.5)) / Math.log(2)) - 1;
      int muScaleI = 127 + (int) Math.round(Math.log(1.0 / (Math.sqrt(i) * 2.5)) / Math.log(2)) - 1;
      for (Layer d : m.layers) {
        f.fill(d.inputNorm(), h, 3, 0.1f, 1f);
        f.fill(d.postNorm(), h, 3, 0.1f, 1f);
        f.fill(d.wqkv(), (q + 2 * kv) * h, 0, (float) (1 / Math.sqrt(h)), 0f);
        f.fill(d.bqkv(), q + 2 * kv, 3, 0.02f, 0f);
        f.fill(d.wo(), h * q, 0, (float) (1 / Math.sqrt(q)), 0f);
        f.fill(d.bo(), h, 3, 0.02f, 0f);
        f.fill(d.sinks(), c.numAttentionHeads(), 3, 0.5f, 0f);
        f.fill(d.router(), e * h, 0, (float) (1 / Math.sqrt(h)), 0f);
        f.fill(d.routerBias(), e, 3, 0.1f, 0f);
        f.fill(d.gateUpBlocks(), e * 2 * i * h / 2, 1, 0f, 0f);
        f.fill(d.gateUpScales(), e * 2 * i * h / 32, 2, 0f, muScaleH);
        f.fill(d.gateUpBias(), e * 2 * i, 3, 0.02f, 0f);
        f.fill(d.downBlocks(), e * h * i / 2, 1, 0f, 0f);
        f.fill(d.downScales(), e * h * i / 32, 2, 0f, muScaleI);
        f.fill(d.downBias(), e * h, 3, 0.02f, 0f);
      }
    } catch (RuntimeException ex) {
      m.close();
      throw ex;
    }
    return m;
  }

  /**
   * [E, rows, blocks] -> [E, blocks, rows]: the grouped GEMM copies the scales of 128 consecutive
   * output rows of one block index with 16-byte transfers.
   */
  static byte[] transposeScales(byte[] src, int experts, int rows, int blocks) {
    byte[] out = new byte[src.length];
    for (int e = 0; e < experts; e++) {
      int base = e * rows * blocks;
      for (int r = 0; r < rows; r++) {
        for (int b = 0; b < blocks; b++) out[base + b * rows + r] = src[base + r * blocks + b];
      }
    }
    return out;
  }

  private interface Filler {
    void fill(long addr, long count, int kind, float scale, float offset);
  }

  private static float[] concat(float[]... parts) {
    int n = 0;
    for (float[] p : parts) n += p.length;
    float[] out = new float[n];
    int o = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, o, p.length);
      o += p.length;
    }
    return out;
  }

  @Override
  public void close() {
    arena.close();
  }

  /** Where staged weight bytes go: the arena on the device, or a host image in tests. */
  interface Sink extends AutoCloseable {
    /**
     * The staging buffer to fill next (direct, little-endian, {@link Uploader#CHUNK} bytes); ask again
     * after every {@link #flush}, which may hand out another buffer.
     */
    java.nio.ByteBuffer buffer();

    /** Copies the current buffer's first {@code n} bytes to arena address {@code dst}. */
    void flush(long dst, long n);

    @Override
    void close();
  }

  /**
   * Host-to-device copies through two pinned staging buffers: while one buffer's copy runs on the
   * sink's own stream, the caller fills the other (the next chunk is read from disk during the copy).
   */
  static final class DeviceSink implements Sink {
    private final CUstream_st stream = new CUstream_st();
    private final BytePointer[] stage = new BytePointer[2];
    private final java.nio.ByteBuffer[] view = new java.nio.ByteBuffer[2];
    private final CUevent_st[] copied = {new CUevent_st(), new CUevent_st()};
    private int current;

    DeviceSink() {
      check(cudaStreamCreate(stream), "cudaStreamCreate(weight upload)");
      for (int i = 0; i < 2; i++) {
        stage[i] = new BytePointer();
        check(cudaMallocHost(stage[i], Uploader.CHUNK), "cudaMallocHost(weight staging, " + Uploader.CHUNK + " bytes)");
        stage[i].capacity(Uploader.CHUNK);
        view[i] = stage[i].asByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        check(cudaEventCreateWithFlags(copied[i], cudaEventDisableTiming), "cudaEventCreateWithFlags(weight upload)");
      }
    }

    /** The buffer to fill next, once its previous copy has finished. */
    @Override
    public java.nio.ByteBuffer buffer() {
      check(cudaEventSynchronize(copied[current]), "cudaEventSynchronize(weight upload)");
      return view[current];
    }

    @Override
    public void flush(long dst, long n) {
      check(cudaMemcpyAsync(Cuda.dev(dst), stage[current], n, cudaMemcpyHostToDevice, stream),
          "cudaMemcpyAsync(weights, " + n + " bytes)");
      check(cudaEventRecord(copied[current], stream), "cudaEventRecord(weight upload)");
      current ^= 1;
    }

    @Override
    public void close() {
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(weight upload)");
      for (int i = 0; i < 2; i++) {
        cudaEventDestroy(copied[i]);
        cudaFreeHost(stage[i]);
      }
      cudaStreamDestroy(stream);
    }
  }

  /** The arena's bytes on the host (a layout-only arena has base address 0). */
  static final class HostSink implements Sink {
    final byte[] image;
    private final java.nio.ByteBuffer buf =
        java.nio.ByteBuffer.allocateDirect(Uploader.CHUNK).order(java.nio.ByteOrder.LITTLE_ENDIAN);

    HostSink(long bytes) {
      image = new byte[Math.toIntExact(bytes)];
    }

    @Override
    public java.nio.ByteBuffer buffer() {
      return buf;
    }

    @Override
    public void flush(long dst, long n) {
      buf.get(0, image, Math.toIntExact(dst), Math.toIntExact(n));
    }

    @Override
    public void close() {}
  }

  /** Writes arrays into the arena through a {@link Sink}, chunk by chunk. */
  static final class Uploader implements AutoCloseable {
    static final int CHUNK = 64 << 20;
    final Sink sink;

    Uploader(Sink sink) {
      this.sink = sink;
    }

    void bytes(long dst, byte[] src) {
      for (long off = 0; off < src.length; off += CHUNK) {
        int n = (int) Math.min(CHUNK, src.length - off);
        sink.buffer().put(0, src, (int) off, n);
        sink.flush(dst + off, n);
      }
    }

    void f32(long dst, float[] src) {
      int per = CHUNK / 4;
      for (int off = 0; off < src.length; off += per) {
        int n = Math.min(per, src.length - off);
        sink.buffer().clear().asFloatBuffer().put(src, off, n);
        sink.flush(dst + 4L * off, 4L * n);
      }
    }

    void bf16(long dst, float[] src) {
      int per = CHUNK / 2;
      for (int off = 0; off < src.length; off += per) {
        int n = Math.min(per, src.length - off);
        java.nio.ShortBuffer sb = sink.buffer().clear().asShortBuffer();
        for (int j = 0; j < n; j++) sb.put(j, Bf16.fromFloat(src[off + j]));
        sink.flush(dst + 2L * off, 2L * n);
      }
    }

    @Override
    public void close() {
      sink.close();
    }
  }
}
