package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static ai.gptoss.backend.cuda.Cuda.checkBlas;
import static ai.gptoss.backend.cuda.Cuda.dev;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.YarnRope;
import ai.gptoss.backend.cuda.KernelStruct.*;
import ai.gptoss.model.ModelConfig;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The forward pass of one step as kernel launches on the step stream: the order of the kernels and
 * their arguments, the products (bf16_gemv or cuBLAS), attention per item list, and the choice of
 * expert path (fused expert kernels planned by {@link ExpertGemmPlan}, or the dense path's scratch,
 * {@link DenseExperts}, made on first use and given up once the device has no room for it).
 *
 * <p>As one rank of an engine spanning several GPUs ({@link DeviceRank}), the model is the rank's shard (its heads,
 * its share of every expert's width or its whole experts, its vocabulary rows) and all-reduces keep the residual
 * stream replicated: of the embedding (each rank fills its vocabulary's tokens, zeros elsewhere), per layer of the
 * o_proj output (before the norm that adds the bias, held whole by every rank) and of the experts' per-slot outputs
 * (before the combine; the down biases are rank 0's, or the owning rank's), and of the logits (each rank's columns in
 * its slice of zeroed full-width logits: a gather). Such a rank takes the fused expert kernels only (the dense path
 * reads the expert counts on the host and is not split).
 */
final class ForwardPass implements AutoCloseable {
  /** The forward pass's switches from the environment, read before anything touches the GPU. */
  record Options(SmallGemv.Mode smallGemv, String forcedMoeKernel, boolean splitRoute, boolean swapMoe, boolean swapMidMoe,
      boolean splitMoe, String wideMoe, boolean tailMoe) {
    static Options fromEnvironment() {
      return new Options(
          // which products of a few rows run bf16_gemv instead of cuBLAS (GPTOSS_CUDA_GEMV)
          SmallGemv.mode(System.getenv("GPTOSS_CUDA_GEMV")),
          // GPTOSS_CUDA_MOE=gemm|wgmma|wgmma_n256|wgmma_n256_sb|gemv|gemv_tc|gemv_split|swap|dense forces one expert kernel (ExpertGemmPlan); null: chosen per step shape
          ExpertGemmPlan.forcedKernel(System.getenv("GPTOSS_CUDA_MOE")),
          RoutePlan.splitForced(System.getenv("GPTOSS_CUDA_ROUTE")),
          // GPTOSS_CUDA_MOE_SWAP=on: fast fused steps on Hopper take the swap-AB expert kernel instead of mma.sync
          ExpertGemmPlan.swapEnabled(System.getenv("GPTOSS_CUDA_MOE_SWAP")),
          // GPTOSS_CUDA_MOE_SWAP=mid: fast fused steps below the wide range take the three-warpgroup swap-AB kernel
          ExpertGemmPlan.swapMidEnabled(System.getenv("GPTOSS_CUDA_MOE_SWAP")),
          // GPTOSS_CUDA_MOE_SPLIT=on: fast steps of at most 8 tokens take the K-split tensor-core gemv
          ExpertGemmPlan.splitEnabled(System.getenv("GPTOSS_CUDA_MOE_SPLIT")),
          // GPTOSS_CUDA_MOE_WIDE=off: fast steps of many rows per expert keep mma.sync instead of the 256-feature wgmma;
          // m192: they take its 192-row tiles; rd3, sb: its earlier form, its form with the biases staged (A/B runs)
          ExpertGemmPlan.wideKernel(System.getenv("GPTOSS_CUDA_MOE_WIDE")),
          // GPTOSS_CUDA_MOE_TAILS=on: a wide step's short last tiles of each expert go to the tensor-core gemv
          ExpertGemmPlan.tailsEnabled(System.getenv("GPTOSS_CUDA_MOE_TAILS")));
    }
  }

  /** The expert path of one step: the fused kernels' plan, and the dense scratch when that path runs it. */
  record Experts(ExpertGemmPlan plan, DenseExperts dense) {}

  /**
   * Threads per block of the one-block-per-row kernels (residual_rmsnorm, qkv_rope_store): {@code usual}
   * for large steps, 1,024 for steps of at most {@link #FEW_ROWS} rows, where the step is a handful of
   * blocks and each thread's serial share of the row (11 elements of 2,880 at 256 threads, 18 rotated
   * pairs at 128) is the kernel's latency.
   */
  static int rowThreads(int rows, int usual) {
    return rows <= FEW_ROWS ? 1024 : usual;
  }

  static final int FEW_ROWS = 16;

  private final ModelConfig c;
  private final DeviceModel model;
  private final Kernels k;
  private final DevicePlan device;
  private final Options options;
  /**
   * Activations enter every tensor-core product as a bf16 high/low pair (about 16 mantissa bits);
   * off ({@link ai.gptoss.backend.Precision#FAST}), they are rounded to bf16 once. Weights are exact in bf16 either way.
   */
  private final boolean precise;
  private final StepProfiler profiler;
  /** This pass's rank of an engine spanning several GPUs, or null: the whole model on one GPU. */
  private final DeviceRank rank;
  private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);
  private final int[] layerOfType;
  /** Query tokens per prefill attention item (StepMetadata cuts prefill items to it). */
  final int prefillTile;
  private final float attentionFactor;
  /** Scratch of the dense expert path, made at the first step that takes it ({@link ExpertGemmPlan#DENSE}). */
  private DenseExperts dense;
  /** Set when the dense path's scratch did not fit: large steps take the fused expert kernels from then on. */
  private boolean denseUnavailable;

  /** Refuses model shapes the kernels do not serve (before anything touches the GPU). */
  static void checkSupported(ModelConfig c) {
    int group = c.numAttentionHeads() / c.numKeyValueHeads();
    if (c.headDim() > 64 || c.headDim() % 2 != 0) throw new BackendException("CUDA backend: head_dim " + c.headDim() + " unsupported (even, at most 64)");
    if (c.hiddenSize() % 16 != 0 || (2 * c.intermediateSize()) % 16 != 0) {
      throw new BackendException("CUDA backend: hidden_size and 2*intermediate_size must be multiples of 16");
    }
    if (group > 16) throw new BackendException("CUDA backend: " + group + " query heads per KV head unsupported (at most 16)");
    if (c.numExpertsPerTok() > 8 || c.numLocalExperts() > 256) throw new BackendException("CUDA backend: at most 8 of 256 experts per token");
  }

  /** Raises the dynamic shared memory limits of the expert kernels (at kernel load: Kernels loads every module up front). */
  static void allowSharedMemory(Kernels k, ModelConfig c, boolean hopper) {
    int maxK = Math.max(c.hiddenSize(), c.intermediateSize());
    k.allowSharedMemory(ExpertGemmPlan.GEMM, ExpertGemmPlan.gemmSharedBytes(true));
    if (hopper) {
      // every Hopper expert kernel, whichever switch takes it
      k.allowSharedMemory(ExpertGemmPlan.WGMMA, ExpertGemmPlan.wgmmaSharedBytes(true));
      for (String kernel : ExpertGemmPlan.WIDE_KERNELS) k.allowSharedMemory(kernel, ExpertGemmPlan.hopperFastSharedBytes(kernel));
      for (String kernel : new String[] {ExpertGemmPlan.SWAP, ExpertGemmPlan.SWAP_MID}) {
        k.allowSharedMemory(kernel, ExpertGemmPlan.hopperFastSharedBytes(kernel));
      }
    }
    k.allowSharedMemory(ExpertGemmPlan.GEMV_TC, ExpertGemmPlan.gemvTcSharedBytes(maxK, ExpertGemmPlan.GEMV_ROWS, true));
    k.allowSharedMemory(ExpertGemmPlan.GEMV_SPLIT, ExpertGemmPlan.gemvSplitSharedBytes(maxK, ExpertGemmPlan.GEMV_ROWS, true));
    for (int rows : new int[] {1, 2, 4, ExpertGemmPlan.GEMV_ROWS}) {
      k.allowSharedMemory(ExpertGemmPlan.gemvKernel(rows), ExpertGemmPlan.gemvSharedBytes(maxK, rows));
    }
  }

  ForwardPass(ModelConfig c, DeviceModel model, Kernels k, DevicePlan device, Options options, boolean precise,
      StepProfiler profiler, DeviceRank rank) {
    this.c = c;
    this.rank = rank;
    this.denseUnavailable = rank != null;
    this.model = model;
    this.k = k;
    this.device = device;
    this.options = options;
    this.precise = precise;
    this.profiler = profiler;
    int group = c.numAttentionHeads() / c.numKeyValueHeads();
    prefillTile = Math.max(1, 64 / group);
    attentionFactor = new YarnRope(c).attentionFactor();
    layerOfType = new int[c.numHiddenLayers()];
    int full = 0, sliding = 0;
    for (int l = 0; l < c.numHiddenLayers(); l++) layerOfType[l] = c.isSliding(l) ? sliding++ : full++;
  }

  /** The dense expert scratch now held, or null. */
  DenseExperts dense() {
    return dense;
  }

  /** Whether the dense path was given up for want of device memory. */
  boolean denseUnavailable() {
    return denseUnavailable;
  }

  /** The expert path of a step of {@code tokens} tokens (the dense scratch at least {@code ws.tokens} large). */
  Experts experts(int tokens, StepBuffers ws) {
    ExpertGemmPlan chosen = moePlan(tokens);
    DenseExperts dx = chosen.dense() ? denseExperts(tokens, ws) : null;
    // no room for the dense scratch (denseExperts said so once): the fused kernels plan the step
    ExpertGemmPlan plan = chosen.dense() && dx == null ? moePlan(tokens) : chosen;
    return new Experts(plan, dx);
  }

  /**
   * Every kernel of one step, in order, on the step stream; no host synchronisation (but the dense
   * expert path's read of the expert counts). {@code meta} is the device address of {@code md}'s data.
   */
  void enqueue(StepMetadata md, long meta, int T, int R, ExpertGemmPlan moe, DenseExperts denseExperts, StepBuffers ws,
      KvPages kv) {
    int H = c.hiddenSize(), Q = c.qDim(), KV = c.kvDim(), E = c.numLocalExperts(), topK = c.numExpertsPerTok(),
        I = c.intermediateSize(), V = c.vocabSize();
    float eps = (float) c.rmsNormEps();
    long tokens = meta + 4L * md.offTokens, positions = meta + 4L * md.offPositions, tokenSeq = meta + 4L * md.offTokenSeq;
    prof("embed+norm");
    boolean splitVocab = rank != null && rank.splitsVocab(V);
    int v0 = splitVocab ? rank.vocab().from() : 0, v1 = splitVocab ? rank.vocab().to() : V;
    k.launch("embedding_gather", new EmbedArgs(model.embed, tokens, ws.x, T, H, v0, v1), T, 1, 256);
    if (splitVocab) allReduce(ws.x, (long) T * H); // other ranks' tokens are zeros here: x + 0 = x
    boolean smallRoute = !options.splitRoute() && denseExperts == null && RoutePlan.small(T, topK, E);
    // GPTOSS_CUDA_MOE_TAILS: wide steps (null for the others) whose routing is moe_group's, not the one-block route's
    ExpertGemmPlan tails = smallRoute ? null : ExpertGemmPlan.tails(moe, E, H, I, options.tailMoe());
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      DeviceModel.Layer w = model.layers.get(l);
      boolean sliding = c.isSliding(l);
      int lot = layerOfType[l];
      int layersOfType = sliding ? c.numSlidingLayers() : c.numFullLayers();
      long pool = sliding ? kv.slidingPool : kv.fullPool;
      long table = meta + 4L * (sliding ? md.offSlidingTable : md.offFullTable);
      // The previous layer's experts join the residual stream here (moe_combine folded into the norm).
      k.launch("residual_rmsnorm", new RmsNormArgs(ws.x, 0, 0, w.inputNorm(), 0, ws.h, lo(ws.hLo), l > 0 ? ws.y : 0,
          l > 0 ? ws.expertWeights : 0, T, H, eps, topK), T, 1, rowThreads(T, 256));
      prof("qkv gemm");
      gemm(ws.h, lo(ws.hLo), w.wqkv(), ws.qkv, T, Q + 2 * KV, H);
      prof("rope+store");
      k.launch("qkv_rope_store", new QkvRopeArgs(ws.qkv, w.bqkv(), model.invFreq, positions, tokenSeq, table, ws.q, pool,
          T, c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), kv.pageSize, md.maxPages, layersOfType, lot,
          attentionFactor), T, 1, rowThreads(T, 128));
      prof(sliding ? "attention sliding" : "attention full");
      attention(true, md.offPrefillItems, md.numPrefillItems, meta, w, pool, table, positions, md.maxPages,
          layersOfType, lot, sliding, ws, kv);
      attention(false, md.offDecodeItems, md.numDecodeItems, meta, w, pool, table, positions, md.maxPages,
          layersOfType, lot, sliding, ws, kv);
      prof("o gemm+norm");
      gemm(ws.attn, lo(ws.attnLo), w.wo(), ws.tmp, T, H, Q);
      allReduce(ws.tmp, (long) T * H);
      k.launch("residual_rmsnorm", new RmsNormArgs(ws.x, ws.tmp, w.bo(), w.postNorm(), 0, ws.h, lo(ws.hLo), 0, 0, T, H,
          eps, 0), T, 1, rowThreads(T, 256));
      prof("router+group");
      gemm(ws.h, lo(ws.hLo), w.router(), ws.routerLogits, T, E, H);
      int first = rank == null ? 0 : rank.firstExpert(), held = model.experts;
      if (smallRoute) {
        k.launch("moe_route_small", new MoeRouteSmallArgs(ws.routerLogits, w.routerBias(), ws.expertIds, ws.expertWeights,
            ws.tiles, ws.numTiles, ws.assign, T, E, topK, moe.tileM(), moe.maxTiles(), first, held), 1, 1,
            RoutePlan.SMALL_THREADS);
      } else {
        check(cudaMemsetAsync(dev(ws.counts), 0, 4L * E, device.stream), "cudaMemsetAsync(expert counts)");
        k.launch("moe_topk", new MoeRouteArgs(ws.routerLogits, w.routerBias(), ws.expertIds, ws.expertWeights, ws.counts, T,
            E, topK), (T + 127) / 128, 1, 128);
        k.launch("moe_group", tails == null
            ? new MoeGroupArgs(ws.counts, ws.cursor, ws.tiles, ws.numTiles, E, moe.tileM(), moe.maxTiles(), first, held)
            : new MoeGroupArgs(ws.counts, ws.cursor, ws.tiles, ws.numTiles, E, moe.tileM(), moe.maxTiles(), first, held,
                ws.tailTiles, ws.numTailTiles, ExpertGemmPlan.TAIL_ROWS, tails.tileM(), tails.maxTiles()), 1, 1, 256);
        k.launch("moe_scatter", new MoeScatterArgs(ws.expertIds, ws.cursor, ws.assign, T * topK), (T * topK + 255) / 256, 1, 256);
      }
      if (denseExperts != null) {
        prof("moe dense");
        denseExperts.enqueue(ws, w, T, lo(ws.hLo), lo(ws.actLo));
        continue;
      }
      if (held < E) {
        // other ranks' experts have no tile here: their slots stay zero and take the owner's output in the sum
        check(cudaMemsetAsync(dev(ws.y), 0, 4L * T * topK * H, device.stream), "cudaMemsetAsync(expert outputs)");
      }
      prof("moe gate_up");
      k.launch(moe.kernel(), new MoeGemmArgs(ws.h, lo(ws.hLo), ws.assign, ws.tiles, ws.numTiles, w.gateUpBlocks(),
          w.gateUpScales(), w.gateUpBias(), ws.act, lo(ws.actLo), topK, H, 2 * I, MoeGemmArgs.GATE_UP, (float) c.swigluLimit()),
          moe.maxTiles(), moe.featureBlocks(2 * I), moe.threads(), moe.sharedBytes());
      if (tails != null) {
        k.launch(tails.kernel(), new MoeGemmArgs(ws.h, 0, ws.assign, ws.tailTiles, ws.numTailTiles, w.gateUpBlocks(),
            w.gateUpScales(), w.gateUpBias(), ws.act, 0, topK, H, 2 * I, MoeGemmArgs.GATE_UP, (float) c.swigluLimit()),
            tails.maxTiles(), tails.featureBlocks(2 * I), tails.threads(), tails.sharedBytes());
      }
      prof("moe down");
      ExpertGemmPlan down = moe.downProduct();
      k.launch(down.kernel(), new MoeGemmArgs(ws.act, lo(ws.actLo), ws.assign, ws.tiles, ws.numTiles, w.downBlocks(),
          w.downScales(), w.downBias(), ws.y, 0, topK, I, H, MoeGemmArgs.DOWN, (float) c.swigluLimit()),
          down.maxTiles(), down.featureBlocks(H), down.threads(), down.sharedBytes());
      if (tails != null) {
        k.launch(tails.kernel(), new MoeGemmArgs(ws.act, 0, ws.assign, ws.tailTiles, ws.numTailTiles, w.downBlocks(),
            w.downScales(), w.downBias(), ws.y, 0, topK, I, H, MoeGemmArgs.DOWN, (float) c.swigluLimit()),
            tails.maxTiles(), tails.featureBlocks(H), tails.threads(), tails.sharedBytes());
      }
      allReduce(ws.y, (long) T * topK * H);
      // moe_combine is folded into the next residual_rmsnorm (the next layer's input norm, or the final norm).
    }
    prof("final norm+lm_head");
    // The last layer's experts join the output rows only: nothing reads x after this norm.
    boolean anyLayer = c.numHiddenLayers() > 0;
    k.launch("residual_rmsnorm", new RmsNormArgs(ws.x, 0, 0, model.norm, meta + 4L * md.offRows, ws.hn, lo(ws.hnLo),
        anyLayer ? ws.y : 0, anyLayer ? ws.expertWeights : 0, R, H, eps, topK), R, 1, rowThreads(R, 256));
    if (splitVocab) {
      // vocab-parallel LM head: this rank's columns [v0, v1) into zeroed [R, V] logits (row stride V), the sum gathers
      check(cudaMemsetAsync(dev(ws.logits), 0, 4L * R * V, device.stream), "cudaMemsetAsync(logits)");
      cublasGemm(ws.hn, lo(ws.hnLo), model.lmHead, ws.logits + 4L * v0, R, v1 - v0, H, V);
      allReduce(ws.logits, (long) R * V);
    } else {
      gemm(ws.hn, lo(ws.hnLo), model.lmHead, ws.logits, R, V, H);
    }
    prof("sampling");
    k.launch("sample_rows", new SampleArgs(ws.logits, meta + 4L * md.offSampling, ws.sampled, md.maskTable,
        md.offMaskSlots < 0 ? 0 : meta + 4L * md.offMaskSlots, R, V, ai.gptoss.backend.TokenMask.words(V)), R, 1, 1024);
    if (profiler != null) profiler.end();
  }

  private ExpertGemmPlan moePlan(int tokens) {
    return ExpertGemmPlan.of(tokens, c.numExpertsPerTok(), c.numLocalExperts(), c.hiddenSize(), c.intermediateSize(),
        precise, device.hopper(), new ExpertGemmPlan.Switches(options.forcedMoeKernel(), !denseUnavailable, options.swapMoe(),
            options.swapMidMoe(), options.splitMoe(), options.wideMoe()));
  }

  /**
   * The dense expert scratch, (re)made for at least {@code tokens} tokens; null (once said on stderr,
   * and {@link #denseUnavailable} set) when the device has no room for it, unless GPTOSS_CUDA_MOE=dense
   * asked for that path.
   */
  private DenseExperts denseExperts(int tokens, StepBuffers ws) {
    if (dense != null && dense.tokens >= tokens) return dense;
    if (dense != null) {
      check(cudaStreamSynchronize(device.stream), "cudaStreamSynchronize");
      dense.close();
      dense = null;
    }
    try {
      dense = new DenseExperts(c, k, device.stream, device.blas, device.blasWorkspace.base(), this::cublasGemm,
          Math.max(tokens, ws.tokens), precise);
      return dense;
    } catch (CudaException e) {
      if (e.code() != cudaErrorMemoryAllocation || options.forcedMoeKernel() != null) throw e;
      cudaGetLastError(); // the failed allocation leaves nothing sticky; clear its record
      denseUnavailable = true;
      System.err.println("gptoss: no device memory for the dense expert path (" + e.getMessage()
          + "); large steps use the fused expert kernels");
      return null;
    }
  }

  /**
   * A rank's in-place sum over the ranks of {@code count} floats at {@code buf}; nothing on one GPU, nor for no floats
   * (a step without output rows: every rank's count is the same, so all skip it).
   */
  private void allReduce(long buf, long count) {
    if (rank == null || count == 0) return;
    prof("all-reduce");
    rank.collectives().allReduceSum(rank.rank(), buf, count, device.stream);
  }

  private void prof(String section) {
    if (profiler != null) profiler.section(section);
  }

  /** One item list's attention (see AttentionPlan): attention_mma (+ attention_combine when split), or the SIMT kernel. */
  private void attention(boolean prefill, int off, int items, long meta, DeviceModel.Layer w, long pool, long table,
      long positions, int maxPages, int layersOfType, int lot, boolean sliding, StepBuffers ws, KvPages kv) {
    if (items == 0) return;
    int window = sliding ? c.slidingWindow() : 0;
    AttentionPlan p = AttentionPlan.of(kv.tensorCoreAttention, prefill, items, prefillTile, c.numAttentionHeads(),
        c.numKeyValueHeads(), maxPages, window);
    AttentionArgs a = new AttentionArgs(ws.q, pool, table, w.sinks(), positions, meta + 4L * off, ws.attn, lo(ws.attnLo),
        ws.attnPartials, items, c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), kv.pageSize, maxPages,
        layersOfType, lot, window, (float) (1.0 / Math.sqrt(c.headDim())), p.splits(), p.warpsPerItem());
    k.launch(p.kernel(), a, p.gridX(), p.gridY(), p.gridZ(), p.block(), 0);
    if (p.splits() > 1) k.launch("attention_combine", a, p.tasks(items), p.gridY(), 256);
  }

  private long lo(long address) {
    return precise ? address : 0;
  }

  /**
   * out[M, N] (f32) = in[M, K] x W[N, K]^T (bf16), float32 accumulation; with {@code inLo}, the
   * input is the pair in + inLo and the product is taken twice (the second accumulates). Steps of a
   * few rows run bf16_gemv instead (see {@link SmallGemv}), which sums w * (in + inLo) in one pass.
   */
  private void gemm(long in, long inLo, long w, long out, int m, int n, int kDim) {
    if (SmallGemv.applies(options.smallGemv(), m, kDim, precise)) {
      // w must be the model's: bf16_gemv(_tc) loads it before waiting for the previous kernel (gemv_bf16.cu)
      k.launch(SmallGemv.kernel(options.smallGemv(), precise), new GemvArgs(w, in, inLo, out, m, n, kDim), SmallGemv.blocks(n),
          1, 256);
      return;
    }
    cublasGemm(in, inLo, w, out, m, n, kDim);
  }

  /**
   * As {@link #gemm}, always through cuBLAS on whatever stream its handle is set to: the dense expert
   * path's per-expert products, which run on side streams and whose weights are a scratch that an
   * earlier kernel of the step writes (bf16_gemv would read it before that kernel ends).
   */
  private void cublasGemm(long in, long inLo, long w, long out, int m, int n, int kDim) {
    cublasGemm(in, inLo, w, out, m, n, kDim, n);
  }

  /** As {@link #cublasGemm(long, long, long, long, int, int, int)}, the output's rows {@code ldOut} floats apart. */
  private void cublasGemm(long in, long inLo, long w, long out, int m, int n, int kDim, int ldOut) {
    checkBlas(cublas.cublasGemmEx(device.blas, cublas.CUBLAS_OP_T, cublas.CUBLAS_OP_N, n, m, kDim, one, dev(w), CUDA_R_16BF, kDim,
        dev(in), CUDA_R_16BF, kDim, zero, dev(out), CUDA_R_32F, ldOut, cublas.CUBLAS_COMPUTE_32F, cublas.CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx(" + m + "x" + n + "x" + kDim + ")");
    if (inLo != 0) {
      checkBlas(cublas.cublasGemmEx(device.blas, cublas.CUBLAS_OP_T, cublas.CUBLAS_OP_N, n, m, kDim, one, dev(w), CUDA_R_16BF, kDim,
          dev(inLo), CUDA_R_16BF, kDim, one, dev(out), CUDA_R_32F, ldOut, cublas.CUBLAS_COMPUTE_32F, cublas.CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx(low part, " + m + "x" + n + "x" + kDim + ")");
    }
  }

  /** Frees the dense expert scratch (after the stream's work is done). */
  @Override
  public void close() {
    if (dense != null) dense.close();
    dense = null;
  }
}
