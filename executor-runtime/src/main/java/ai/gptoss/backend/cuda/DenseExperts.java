package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static ai.gptoss.backend.cuda.Cuda.checkBlas;
import static ai.gptoss.backend.cuda.Cuda.dev;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.backend.cuda.KernelStruct.Mxfp4DequantArgs;
import ai.gptoss.backend.cuda.KernelStruct.MoeRowsArgs;
import ai.gptoss.model.ModelConfig;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.IntPointer;

/**
 * The expert products of large steps ({@link ExpertGemmPlan#DENSE}): per layer, each product's
 * MXFP4 weights are unpacked to a bf16 scratch ({@code mxfp4_dequant}, exact), the step's rows are
 * gathered in expert order, and each expert's rows run as one cuBLAS GEMM (Hopper's tuned wgmma
 * kernels) against its unpacked weights; SwiGLU and the scatter to the (token, slot) rows follow
 * as separate passes (moe_dense.cu). The expert weights stay 4-bit in memory: the scratch holds one
 * product of one layer at a time.
 *
 * <p>The experts' GEMMs go round-robin to {@link #STREAMS} side streams (each with its own cuBLAS
 * workspace), forked from and joined back to the step's stream: one expert's GEMM (~1,000 rows of
 * gpt-oss-20b at 8,192 tokens per step) fills 1.4 waves of an H100's SMs or fewer, and the
 * concurrent ones fill the tails.
 *
 * <p>Worth it only where the GEMMs are large: the unpack costs one read of the layer's MXFP4 weights
 * and a write of their bf16 form per step, and the host reads the expert row counts once per layer
 * (it sizes the GEMMs), so these steps are never captured as CUDA graphs.
 */
final class DenseExperts implements AutoCloseable {
  /** ForwardPass's cuBLAS product: out[m, n] (f32) = in[m, k] . w[n, k]^T, plus inLo's product when not 0. */
  interface Gemm {
    void run(long in, long inLo, long w, long out, int m, int n, int k);
  }

  static final int STREAMS = 4;
  /** cuBLAS workspace of each side stream: the step stream's size. */
  static final long BLAS_WORKSPACE = DevicePlan.BLAS_WORKSPACE;

  final int tokens;
  final boolean precise;
  private final ModelConfig c;
  private final Kernels k;
  private final CUstream_st stream;
  private final Gemm gemm;
  private final cublasContext blas;
  private final long mainWorkspace;
  private final CUstream_st[] side = new CUstream_st[STREAMS];
  private final CUevent_st fork = new CUevent_st();
  private final CUevent_st[] joins = new CUevent_st[STREAMS];
  private final long[] sideWorkspace = new long[STREAMS];
  private final DeviceArena arena;
  private final long rows, rowsLo, products, weights;
  private final IntPointer countsHost = new IntPointer();
  private final CUevent_st countsReady = new CUevent_st();

  /** Device bytes of the scratch for steps of up to {@code tokens} tokens. */
  static long bytes(ModelConfig c, int tokens, boolean precise) {
    return DeviceArena.alignedTotal(sizes(c, tokens, precise));
  }

  private static long[] sizes(ModelConfig c, long t, boolean precise) {
    long H = c.hiddenSize(), I = c.intermediateSize(), E = c.numLocalExperts(), k = c.numExpertsPerTok();
    long widest = Math.max(2 * I, H);
    return new long[] {t * k * H * 2, precise ? t * k * H * 2 : 0, t * k * widest * 4, E * Math.max(2 * I * H, H * I) * 2,
        STREAMS * BLAS_WORKSPACE};
  }

  DenseExperts(ModelConfig c, Kernels k, CUstream_st stream, cublasContext blas, long mainWorkspace, Gemm gemm, int tokens,
      boolean precise) {
    this.blas = blas;
    this.mainWorkspace = mainWorkspace;
    this.c = c;
    this.k = k;
    this.stream = stream;
    this.gemm = gemm;
    this.tokens = tokens;
    this.precise = precise;
    long[] s = sizes(c, tokens, precise);
    arena = new DeviceArena("dense expert scratch for " + tokens + " tokens", DeviceArena.alignedTotal(s));
    try {
      rows = arena.alloc(s[0]);
      rowsLo = precise ? arena.alloc(s[1]) : 0;
      products = arena.alloc(s[2]);
      weights = arena.alloc(s[3]);
      long workspaces = arena.alloc(s[4]);
      check(cudaEventCreateWithFlags(fork, cudaEventDisableTiming), "cudaEventCreate(dense fork)");
      for (int i = 0; i < STREAMS; i++) {
        sideWorkspace[i] = workspaces + i * BLAS_WORKSPACE;
        side[i] = new CUstream_st();
        check(cudaStreamCreateWithFlags(side[i], cudaStreamNonBlocking), "cudaStreamCreate(dense side stream)");
        joins[i] = new CUevent_st();
        check(cudaEventCreateWithFlags(joins[i], cudaEventDisableTiming), "cudaEventCreate(dense join)");
      }
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
  void enqueue(StepBuffers ws, DeviceModel.Layer w, int T, long hLo, long actLo) {
    int H = c.hiddenSize(), I = c.intermediateSize(), E = c.numLocalExperts(), topK = c.numExpertsPerTok(), R = T * topK;
    check(cudaMemcpyAsync(countsHost, dev(ws.counts), 4L * E, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync(expert counts)");
    check(cudaEventRecord(countsReady, stream), "cudaEventRecord(expert counts)");
    // Independent of the counts: the GPU unpacks and gathers while the host waits for them.
    dequant(w.gateUpBlocks(), w.gateUpScales(), 2 * I, H);
    k.launch("moe_gather_rows", new MoeRowsArgs(ws.assign, ws.expertIds, ws.h, hLo, 0, rows, hLo != 0 ? rowsLo : 0, R,
        topK, H, 0f), R, 1, 128);
    check(cudaEventSynchronize(countsReady), "cudaEventSynchronize(expert counts)");
    int[] counts = new int[E];
    countsHost.get(counts, 0, E);
    expertProducts(counts, rows, hLo != 0 ? rowsLo : 0, 2 * I, H);
    k.launch("moe_swiglu_rows", new MoeRowsArgs(ws.assign, ws.expertIds, products, 0, w.gateUpBias(), ws.act, actLo, R,
        topK, 2 * I, (float) c.swigluLimit()), R, 1, 256);
    dequant(w.downBlocks(), w.downScales(), H, I);
    expertProducts(counts, ws.act, actLo, H, I);
    k.launch("moe_scatter_rows", new MoeRowsArgs(ws.assign, ws.expertIds, products, 0, w.downBias(), ws.y, 0, R, topK, H,
        0f), R, 1, 256);
  }

  /**
   * products[rows of e, n] = in[rows of e, kDim] . weights[e]^T (+ inLo's product when not 0) for every
   * expert with rows, the rows of expert e following those of experts 0..e-1; on the side streams.
   */
  private void expertProducts(int[] counts, long in, long inLo, int n, int kDim) {
    forkSide();
    int row = 0;
    for (int e = 0; e < counts.length; e++) {
      if (counts[e] > 0) {
        onSide(e);
        gemm.run(in + 2L * row * kDim, inLo != 0 ? inLo + 2L * row * kDim : 0, weights + 2L * e * n * kDim,
            products + 4L * row * n, counts[e], n, kDim);
      }
      row += counts[e];
    }
    joinSide();
  }

  /** The side streams start after everything enqueued on the step's stream so far. */
  private void forkSide() {
    check(cudaEventRecord(fork, stream), "cudaEventRecord(dense fork)");
    for (CUstream_st s : side) check(cudaStreamWaitEvent(s, fork, 0), "cudaStreamWaitEvent(dense fork)");
  }

  /** cuBLAS on the side stream of expert {@code e}, with that stream's workspace. */
  private void onSide(int e) {
    int i = e % STREAMS;
    checkBlas(cublas.cublasSetStream_v2(blas, side[i]), "cublasSetStream(dense side stream)");
    checkBlas(cublas.cublasSetWorkspace_v2(blas, dev(sideWorkspace[i]), BLAS_WORKSPACE), "cublasSetWorkspace(dense side stream)");
  }

  /** The step's stream waits for every side stream; cuBLAS back on it with its workspace. */
  private void joinSide() {
    for (int i = 0; i < STREAMS; i++) {
      check(cudaEventRecord(joins[i], side[i]), "cudaEventRecord(dense join)");
      check(cudaStreamWaitEvent(stream, joins[i], 0), "cudaStreamWaitEvent(dense join)");
    }
    checkBlas(cublas.cublasSetStream_v2(blas, stream), "cublasSetStream");
    checkBlas(cublas.cublasSetWorkspace_v2(blas, dev(mainWorkspace), BLAS_WORKSPACE), "cublasSetWorkspace");
  }

  /** One product's weights of every expert, [E, n, kDim] bf16, into the scratch. */
  private void dequant(long blocks, long scalesT, int n, int kDim) {
    // DQ_TILE (32) blocks along K x 32 features per launch block (moe_dense.cu)
    k.launch("mxfp4_dequant", new Mxfp4DequantArgs(blocks, scalesT, weights, c.numLocalExperts(), n, kDim),
        (kDim / 32 + 31) / 32, (n + 31) / 32, c.numLocalExperts(), 256, 0);
  }

  @Override
  public void close() {
    for (int i = 0; i < STREAMS; i++) {
      if (side[i] != null && !side[i].isNull()) {
        cudaStreamSynchronize(side[i]);
        cudaStreamDestroy(side[i]);
      }
      if (joins[i] != null && !joins[i].isNull()) cudaEventDestroy(joins[i]);
    }
    if (!fork.isNull()) cudaEventDestroy(fork);
    if (!countsReady.isNull()) cudaEventDestroy(countsReady);
    if (!countsHost.isNull()) cudaFreeHost(countsHost);
    arena.close();
  }
}
