package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static ai.gptoss.backend.cuda.Cuda.dev;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.model.ModelConfig;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.IntPointer;

/**
 * The expert products of large steps ({@link ExpertGemmPlan#DENSE}): per layer, each product's
 * MXFP4 weights are unpacked to a bf16 scratch ({@code mxfp4_dequant}, exact), the step's rows are
 * gathered in expert order, and each expert's rows run as one cuBLAS GEMM (Hopper's tuned wgmma
 * kernels) against its unpacked weights; SwiGLU and the scatter to the (token, slot) rows follow
 * as separate passes (moe_dense.cu). The expert weights stay 4-bit in memory: the scratch holds one
 * product of one layer at a time.
 *
 * <p>Worth it only where the GEMMs are large: the unpack costs one read of the layer's MXFP4 weights
 * and a write of their bf16 form per step, and the host reads the expert row counts once per layer
 * (it sizes the GEMMs), so these steps are never captured as CUDA graphs.
 */
final class DenseExperts implements AutoCloseable {
  /** CudaBackend's cuBLAS product: out[m, n] (f32) = in[m, k] . w[n, k]^T, plus inLo's product when not 0. */
  interface Gemm {
    void run(long in, long inLo, long w, long out, int m, int n, int k);
  }

  final int tokens;
  final boolean precise;
  private final ModelConfig c;
  private final Kernels k;
  private final CUstream_st stream;
  private final Gemm gemm;
  private final DeviceArena arena;
  private final long rows, rowsLo, products, weights;
  private final IntPointer countsHost = new IntPointer();
  private final CUevent_st countsReady = new CUevent_st();

  /** Device bytes of the scratch for steps of up to {@code tokens} tokens. */
  static long bytes(ModelConfig c, int tokens, boolean precise) {
    long[] s = sizes(c, tokens, precise);
    long sum = 0;
    for (long v : s) sum += DeviceArena.aligned(v);
    return sum;
  }

  private static long[] sizes(ModelConfig c, long t, boolean precise) {
    long H = c.hiddenSize(), I = c.intermediateSize(), E = c.numLocalExperts(), k = c.numExpertsPerTok();
    long widest = Math.max(2 * I, H);
    return new long[] {t * k * H * 2, precise ? t * k * H * 2 : 0, t * k * widest * 4, E * Math.max(2 * I * H, H * I) * 2};
  }

  DenseExperts(ModelConfig c, Kernels k, CUstream_st stream, Gemm gemm, int tokens, boolean precise) {
    this.c = c;
    this.k = k;
    this.stream = stream;
    this.gemm = gemm;
    this.tokens = tokens;
    this.precise = precise;
    long[] s = sizes(c, tokens, precise);
    long total = 0;
    for (long v : s) total += DeviceArena.aligned(v);
    arena = new DeviceArena("dense expert scratch for " + tokens + " tokens", total);
    try {
      rows = arena.alloc(s[0]);
      rowsLo = precise ? arena.alloc(s[1]) : 0;
      products = arena.alloc(s[2]);
      weights = arena.alloc(s[3]);
      check(cudaMallocHost(countsHost, 4L * c.numLocalExperts()), "cudaMallocHost(expert counts)");
      countsHost.capacity(c.numLocalExperts());
      check(cudaEventCreateWithFlags(countsReady, cudaEventDisableTiming), "cudaEventCreate(expert counts)");
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Enqueues both products of one layer for a step of {@code T} tokens whose routing (counts,
   * assign, expertIds of {@code ws}) is enqueued before; blocks until the counts reach the host.
   * Writes ws.act (and actLo) and ws.y as the fused kernels do.
   */
  void enqueue(CudaBackend.Workspace ws, DeviceModel.Layer w, int T, long hLo, long actLo) {
    int H = c.hiddenSize(), I = c.intermediateSize(), E = c.numLocalExperts(), topK = c.numExpertsPerTok(), R = T * topK;
    KernelArgs a = k.args;
    check(cudaMemcpyAsync(countsHost, dev(ws.counts), 4L * E, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync(expert counts)");
    check(cudaEventRecord(countsReady, stream), "cudaEventRecord(expert counts)");
    // Independent of the counts: the GPU unpacks and gathers while the host waits for them.
    dequant(w.gateUpBlocks(), w.gateUpScales(), 2 * I, H);
    a.reset().ptr(ws.assign).ptr(ws.expertIds).ptr(ws.h).ptr(hLo).ptr(0).ptr(rows).ptr(hLo != 0 ? rowsLo : 0)
        .i32(R).i32(topK).i32(H).f32(0f);
    k.launch("moe_gather_rows", R, 1, 128);
    check(cudaEventSynchronize(countsReady), "cudaEventSynchronize(expert counts)");
    int[] counts = new int[E];
    countsHost.get(counts, 0, E);
    int row = 0;
    for (int e = 0; e < E; e++) {
      if (counts[e] > 0) {
        gemm.run(rows + 2L * row * H, hLo != 0 ? rowsLo + 2L * row * H : 0, weights + 2L * e * 2 * I * H,
            products + 4L * row * 2 * I, counts[e], 2 * I, H);
      }
      row += counts[e];
    }
    a.reset().ptr(ws.assign).ptr(ws.expertIds).ptr(products).ptr(0).ptr(w.gateUpBias()).ptr(ws.act).ptr(actLo)
        .i32(R).i32(topK).i32(2 * I).f32((float) c.swigluLimit());
    k.launch("moe_swiglu_rows", R, 1, 256);
    dequant(w.downBlocks(), w.downScales(), H, I);
    row = 0;
    for (int e = 0; e < E; e++) {
      if (counts[e] > 0) {
        gemm.run(ws.act + 2L * row * I, actLo != 0 ? actLo + 2L * row * I : 0, weights + 2L * e * H * I,
            products + 4L * row * H, counts[e], H, I);
      }
      row += counts[e];
    }
    a.reset().ptr(ws.assign).ptr(ws.expertIds).ptr(products).ptr(0).ptr(w.downBias()).ptr(ws.y).ptr(0)
        .i32(R).i32(topK).i32(H).f32(0f);
    k.launch("moe_scatter_rows", R, 1, 256);
  }

  /** One product's weights of every expert, [E, n, kDim] bf16, into the scratch. */
  private void dequant(long blocks, long scalesT, int n, int kDim) {
    long threads = (long) c.numLocalExperts() * n * (kDim / 32);
    k.args.reset().ptr(blocks).ptr(scalesT).ptr(weights).i32(c.numLocalExperts()).i32(n).i32(kDim);
    k.launch("mxfp4_dequant", (int) ((threads + 255) / 256), 1, 256);
  }

  @Override
  public void close() {
    if (!countsReady.isNull()) cudaEventDestroy(countsReady);
    if (!countsHost.isNull()) cudaFreeHost(countsHost);
    arena.close();
  }
}
