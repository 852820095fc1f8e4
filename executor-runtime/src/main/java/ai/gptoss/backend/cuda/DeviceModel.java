package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

import ai.gptoss.backend.YarnRope;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;

/**
 * The weights on the GPU, in one arena: dense matrices as bf16, experts kept MXFP4 exactly as
 * published, vectors (norms, biases, sinks) as float32. q, k and v are stored as one fused matrix.
 * Shapes: V=vocab, H=hidden, Q=heads*head_dim, K=kv_heads*head_dim, E=experts, I=intermediate.
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
  final DeviceArena arena;
  final long embed; // [V, H] bf16
  final long lmHead; // [V, H] bf16
  final long norm; // [H] f32
  final long invFreq; // [head_dim/2] f32
  final List<Layer> layers = new ArrayList<>();

  /** Bytes the arena needs for {@code c}. */
  static long bytes(ModelConfig c) {
    long v = c.vocabSize(), h = c.hiddenSize(), q = c.qDim(), k = c.kvDim(), e = c.numLocalExperts(), i = c.intermediateSize();
    long total = 2 * DeviceArena.aligned(v * h * 2) + DeviceArena.aligned(h * 4) + DeviceArena.aligned(c.headDim() * 2L);
    long perLayer = 2 * DeviceArena.aligned(h * 4) + DeviceArena.aligned((q + 2 * k) * h * 2) + DeviceArena.aligned((q + 2 * k) * 4)
        + DeviceArena.aligned(h * q * 2) + DeviceArena.aligned(h * 4) + DeviceArena.aligned(c.numAttentionHeads() * 4L)
        + DeviceArena.aligned(e * h * 2) + DeviceArena.aligned(e * 4)
        + DeviceArena.aligned(e * 2 * i * h / 2) + DeviceArena.aligned(e * 2 * i * h / 32) + DeviceArena.aligned(e * 2 * i * 4)
        + DeviceArena.aligned(e * h * i / 2) + DeviceArena.aligned(e * h * i / 32) + DeviceArena.aligned(e * h * 4);
    return total + perLayer * c.numHiddenLayers();
  }

  /** Reserves the arena and lays out every tensor (contents undefined until filled). */
  private DeviceModel(ModelConfig c) {
    this.c = c;
    long v = c.vocabSize(), h = c.hiddenSize(), q = c.qDim(), k = c.kvDim(), e = c.numLocalExperts(), i = c.intermediateSize();
    arena = new DeviceArena("model weights", bytes(c));
    embed = arena.alloc(v * h * 2);
    lmHead = arena.alloc(v * h * 2);
    norm = arena.alloc(h * 4);
    invFreq = arena.alloc(c.headDim() * 2L);
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      layers.add(new Layer(arena.alloc(h * 4), arena.alloc(h * 4), arena.alloc((q + 2 * k) * h * 2), arena.alloc((q + 2 * k) * 4),
          arena.alloc(h * q * 2), arena.alloc(h * 4), arena.alloc(c.numAttentionHeads() * 4L),
          arena.alloc(e * h * 2), arena.alloc(e * 4),
          arena.alloc(e * 2 * i * h / 2), arena.alloc(e * 2 * i * h / 32), arena.alloc(e * 2 * i * 4),
          arena.alloc(e * h * i / 2), arena.alloc(e * h * i / 32), arena.alloc(e * h * 4)));
    }
  }

  /** Uploads host weights (dense float32 is rounded to bf16; checkpoints store bf16, so exactly). */
  static DeviceModel upload(ModelWeights w) {
    DeviceModel m = new DeviceModel(w.config);
    try (Uploader up = new Uploader()) {
      up.bf16(m.embed, w.embedTokens);
      up.bf16(m.lmHead, w.lmHead);
      up.f32(m.norm, w.norm);
      up.f32(m.invFreq, new YarnRope(w.config).invFreq());
      for (int l = 0; l < w.layers.size(); l++) {
        ModelWeights.Layer s = w.layers.get(l);
        Layer d = m.layers.get(l);
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
        up.bytes(d.gateUpScales(), transposeScales(s.gateUpScales(), w.config.numLocalExperts(), 2 * w.config.intermediateSize(),
            w.config.hiddenSize() / 32));
        up.f32(d.gateUpBias(), s.gateUpBias());
        up.bytes(d.downBlocks(), s.downBlocks());
        up.bytes(d.downScales(), transposeScales(s.downScales(), w.config.numLocalExperts(), w.config.hiddenSize(),
            w.config.intermediateSize() / 32));
        up.f32(d.downBias(), s.downBias());
      }
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    return m;
  }

  /**
   * Random weights generated on the device (no files, no host copies), scaled like the published
   * models so activations stay in range: the synthetic models of the benchmark.
   */
  static DeviceModel synthetic(ModelConfig c, Kernels k, long seed) {
    DeviceModel m = new DeviceModel(c);
    try {
      long v = c.vocabSize(), h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), e = c.numLocalExperts(), i = c.intermediateSize();
      int[] s = {(int) seed};
      Filler f = (addr, count, kind, scale, offset) -> {
        k.args.reset().ptr(addr).i64(count).i32(kind).i32(s[0]++).f32(scale).f32(offset);
        k.launch("synthetic_fill", (int) Math.min(65535, (count + 255) / 256), 1, 256);
      };
      f.fill(m.embed, v * h, 0, 1f, 0f);
      f.fill(m.lmHead, v * h, 0, 0.02f, 0f);
      f.fill(m.norm, h, 3, 0.1f, 1f);
      float[] inv = new YarnRope(c).invFreq();
      try (Uploader up = new Uploader()) {
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

  /** Host-to-device copies through one reusable staging buffer. */
  static final class Uploader implements AutoCloseable {
    private static final int CHUNK = 64 << 20;
    private final BytePointer stage = new BytePointer(CHUNK);

    void bytes(long dst, byte[] src) {
      for (long off = 0; off < src.length; off += CHUNK) {
        int n = (int) Math.min(CHUNK, src.length - off);
        stage.put(src, (int) off, n);
        copy(dst + off, n);
      }
    }

    void f32(long dst, float[] src) {
      int per = CHUNK / 4;
      for (int off = 0; off < src.length; off += per) {
        int n = Math.min(per, src.length - off);
        stage.asByteBuffer().order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer().put(src, off, n);
        copy(dst + 4L * off, 4L * n);
      }
    }

    void bf16(long dst, float[] src) {
      int per = CHUNK / 2;
      for (int off = 0; off < src.length; off += per) {
        int n = Math.min(per, src.length - off);
        java.nio.ShortBuffer sb = stage.asByteBuffer().order(java.nio.ByteOrder.nativeOrder()).asShortBuffer();
        for (int j = 0; j < n; j++) sb.put(j, Bf16.fromFloat(src[off + j]));
        copy(dst + 2L * off, 2L * n);
      }
    }

    private void copy(long dst, long n) {
      check(cudaMemcpy(Cuda.dev(dst), stage, n, cudaMemcpyHostToDevice), "cudaMemcpy(weights, " + n + " bytes)");
    }

    @Override
    public void close() {
      stage.close();
    }
  }
}
