package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static ai.gptoss.backend.cuda.Cuda.checkBlas;
import static ai.gptoss.backend.cuda.Cuda.dev;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.YarnRope;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * The GPU backend: the same forward pass as the pure-Java {@code CpuBackend}, with bf16 activations
 * between kernels and float32 accumulation. Per layer: RMSNorm, fused qkv projection (cuBLAS),
 * bias + YaRN rotary + KV store, paged attention with sinks, output projection (cuBLAS) joined to
 * the residual by the next RMSNorm, router (cuBLAS), top-k, grouping by expert, MXFP4 gate_up GEMM
 * with fused SwiGLU, MXFP4 down GEMM (a weight-streaming gemv instead for steps with few rows:
 * {@link ExpertGemmPlan}), weighted combine folded into the next RMSNorm. Routing is one kernel for
 * small steps ({@link RoutePlan}). Then the final norm and unembedding at the output rows only, and
 * sampling on the GPU.
 *
 * <p>A step uploads its metadata in one copy, launches everything on one stream (or replays a CUDA
 * graph of it: {@link DecodeGraphs}), and synchronizes once, to read the sampled ids (and the logits
 * when asked).
 */
public final class CudaBackend implements Backend {
  private static final long KV_RESERVE = 1536L << 20; // left free for cuBLAS and workspace growth
  /** cuBLAS workspace, fixed so that cuBLAS never allocates under graph capture (32 MiB: Hopper's advice). */
  static final long BLAS_WORKSPACE = 32L << 20;

  private final int ordinal;
  private final ModelConfig c;
  private final DeviceModel model;
  private final Kernels k;
  private final CUstream_st stream = new CUstream_st();
  private final cublasContext blas = new cublasContext();
  private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);
  private final int[] layerOfType;
  private final int prefillTile;
  private final float attentionFactor;
  private final String arch;
  private final String deviceName;
  /** Which products of a few rows run bf16_gemv instead of cuBLAS (GPTOSS_CUDA_GEMV). */
  private final SmallGemv.Mode smallGemv = SmallGemv.mode(System.getenv("GPTOSS_CUDA_GEMV"));
  /**
   * Activations enter every tensor-core product as a bf16 high/low pair (about 16 mantissa bits);
   * off ({@link Precision#FAST}), they are rounded to bf16 once. Weights are exact in bf16 either way.
   */
  private final boolean precise;
  /** bf16 K/V, float32 in {@link Precision#EXACT}, or FP8 when GPTOSS_KV_CACHE_DTYPE=fp8 (see KvFormat). */
  private final KvFormat kvFormat;
  private final Precision precision;
  /** GPTOSS_CUDA_MOE=gemm|wgmma|gemv|gemv_tc forces one expert kernel (ExpertGemmPlan); null: chosen per step shape. */
  private final String forcedMoeKernel = ExpertGemmPlan.forcedKernel(System.getenv("GPTOSS_CUDA_MOE"));
  private final boolean splitRoute = RoutePlan.splitForced(System.getenv("GPTOSS_CUDA_ROUTE"));

  private Workspace ws;
  /** Scratch of the dense expert path, made at the first step that takes it ({@link ExpertGemmPlan#DENSE}). */
  private DenseExperts dense;
  /** Set when the dense path's scratch did not fit: large steps take the fused expert kernels from then on. */
  private boolean denseUnavailable;
  private DeviceArena kvArena;
  private long fullPool, slidingPool;
  private int fullPages, slidingPages, pageSize;
  /** attention_mma.cu (bf16 K/V, head_dim 16/32/64, 16-token pages), else attention.cu. */
  private boolean tensorCoreAttention;
  private IntPointer metaHost;
  private long metaHostInts;
  private DeviceArena metaDev;
  private final StepProfiler profiler;
  private IntPointer sampledHost;
  private long sampledHostInts;
  private FloatPointer logitsHost; // pageable, only for steps that return logits
  private final DeviceArena blasWorkspace;
  private final DecodeGraphs<org.bytedeco.cuda.cudart.CUgraphExec_st> graphs;
  /** Bumped whenever a buffer that launches address is reallocated (graphs keyed by it). */
  private long buffers;

  /** Uploads {@code weights} (already in host memory) to GPU {@code ordinal}. */
  public static CudaBackend upload(ModelWeights weights, int ordinal) {
    return upload(weights, ordinal, Precision.fromEnvironment());
  }

  public static CudaBackend upload(ModelWeights weights, int ordinal, Precision precision) {
    return new CudaBackend(weights.config, ordinal, precision, KvCacheDtype.fromEnvironment(), k -> DeviceModel.upload(weights));
  }

  /** Streams a checkpoint to GPU {@code ordinal} (no float copy of the weights on the host). */
  public static CudaBackend load(Checkpoint ckpt, int ordinal) {
    return load(ckpt, ordinal, Precision.fromEnvironment());
  }

  public static CudaBackend load(Checkpoint ckpt, int ordinal, Precision precision) {
    return load(ckpt, ordinal, precision, KvCacheDtype.fromEnvironment());
  }

  /** Streams a checkpoint to GPU {@code ordinal} with the K/V cache type given. */
  public static CudaBackend load(Checkpoint ckpt, int ordinal, Precision precision, KvCacheDtype kvCacheDtype) {
    return new CudaBackend(ckpt.config(), ordinal, precision, kvCacheDtype, k -> DeviceModel.load(ckpt));
  }

  /** A model with {@code config}'s shapes and random weights generated on the GPU. */
  public static CudaBackend synthetic(ModelConfig config, int ordinal, long seed, Precision precision) {
    return synthetic(config, ordinal, seed, precision, KvCacheDtype.fromEnvironment());
  }

  public static CudaBackend synthetic(ModelConfig config, int ordinal, long seed, Precision precision,
      KvCacheDtype kvCacheDtype) {
    return new CudaBackend(config, ordinal, precision, kvCacheDtype, k -> DeviceModel.synthetic(config, k, seed));
  }

  private CudaBackend(ModelConfig c, int ordinal, Precision precision, KvCacheDtype kvCacheDtype,
      java.util.function.Function<Kernels, DeviceModel> weights) {
    this.c = c;
    this.ordinal = ordinal;
    this.precision = precision;
    this.precise = precision.pairedActivations;
    int group = c.numAttentionHeads() / c.numKeyValueHeads();
    if (c.headDim() > 64 || c.headDim() % 2 != 0) throw new BackendException("CUDA backend: head_dim " + c.headDim() + " unsupported (even, at most 64)");
    if (c.hiddenSize() % 16 != 0 || (2 * c.intermediateSize()) % 16 != 0) {
      throw new BackendException("CUDA backend: hidden_size and 2*intermediate_size must be multiples of 16");
    }
    if (group > 16) throw new BackendException("CUDA backend: " + group + " query heads per KV head unsupported (at most 16)");
    if (c.numExpertsPerTok() > 8 || c.numLocalExperts() > 256) throw new BackendException("CUDA backend: at most 8 of 256 experts per token");
    prefillTile = Math.max(1, 64 / group);
    attentionFactor = new YarnRope(c).attentionFactor();
    layerOfType = new int[c.numHiddenLayers()];
    int full = 0, sliding = 0;
    for (int l = 0; l < c.numHiddenLayers(); l++) layerOfType[l] = c.isSliding(l) ? sliding++ : full++;
    Cuda.trace("cudaSetDevice " + ordinal);
    check(cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
    check(cudaFree(null), "cudaFree(null) (context creation on GPU " + ordinal + ")");
    int[] major = new int[1], minor = new int[1];
    check(cudaDeviceGetAttribute(major, cudaDevAttrComputeCapabilityMajor, ordinal), "cudaDeviceGetAttribute(major)");
    check(cudaDeviceGetAttribute(minor, cudaDevAttrComputeCapabilityMinor, ordinal), "cudaDeviceGetAttribute(minor)");
    arch = KernelCompiler.archFor(major[0], minor[0]);
    try (cudaDeviceProp prop = new cudaDeviceProp()) {
      check(cudaGetDeviceProperties(prop, ordinal), "cudaGetDeviceProperties(" + ordinal + ")");
      deviceName = prop.name().getString();
    }
    kvFormat = KvFormat.choose(precision, kvCacheDtype, major[0], minor[0]);
    Cuda.trace("arch " + arch + ", stream");
    check(cudaStreamCreate(stream), "cudaStreamCreate");
    Cuda.trace("cublas");
    checkBlas(cublas.cublasCreate_v2(blas), "cublasCreate");
    checkBlas(cublas.cublasSetStream_v2(blas, stream), "cublasSetStream");
    blasWorkspace = new DeviceArena("cuBLAS workspace", BLAS_WORKSPACE);
    // after cublasSetStream, which resets the workspace to cuBLAS's own pool
    checkBlas(cublas.cublasSetWorkspace_v2(blas, dev(blasWorkspace.base()), BLAS_WORKSPACE), "cublasSetWorkspace");
    profiler = System.getenv("GPTOSS_PROFILE") != null ? new StepProfiler(stream) : null;
    graphs = new DecodeGraphs<>(new CudaGraphs(stream),
        DecodeGraphs.enabledByEnvironment(System.getenv("GPTOSS_CUDA_GRAPHS"), System.getenv("GPTOSS_PROFILE")),
        System.err::println);
    Cuda.trace("kernels");
    k = new Kernels(new KernelCompiler(arch, kvFormat.defines), stream,
        programmaticLaunch(major[0], System.getenv("GPTOSS_CUDA_PDL")));
    int maxK = Math.max(c.hiddenSize(), c.intermediateSize());
    k.allowSharedMemory(ExpertGemmPlan.GEMM, ExpertGemmPlan.gemmSharedBytes(true));
    if (hopper()) k.allowSharedMemory(ExpertGemmPlan.WGMMA, ExpertGemmPlan.wgmmaSharedBytes(true));
    k.allowSharedMemory(ExpertGemmPlan.GEMV_TC, ExpertGemmPlan.gemvTcSharedBytes(maxK, ExpertGemmPlan.GEMV_ROWS, true));
    for (int rows : new int[] {1, 2, 4, ExpertGemmPlan.GEMV_ROWS}) {
      k.allowSharedMemory(ExpertGemmPlan.gemvKernel(rows), ExpertGemmPlan.gemvSharedBytes(maxK, rows));
    }
    Cuda.trace("weights");
    model = weights.apply(k);
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(after loading weights)");
    Cuda.trace("loaded");
  }

  @Override
  public ModelConfig config() {
    return c;
  }

  @Override
  public String name() {
    return "cuda:" + ordinal;
  }

  public String arch() {
    return arch;
  }

  /** The GPU's name as CUDA reports it ("NVIDIA H100 80GB HBM3"). */
  public String deviceName() {
    return deviceName;
  }

  /** vLLM's offline defaults for this GPU: 16,384 tokens and 1,024 sequences on GPUs of >= 70 GiB but the A100. */
  @Override
  public StepBudget defaultStepBudget() {
    return StepBudget.forGpu(memoryInfo()[1], deviceName);
  }

  /** Hopper (sm_90a): the wgmma kernels have a body. */
  private boolean hopper() {
    return arch.startsWith("sm_90");
  }

  @Override
  public int kvBytesPerElement() {
    return kvFormat.bytesPerElement;
  }

  /** The K/V cache's element type: "f32", "bf16" or "fp8" (E4M3). */
  public String kvCacheDtype() {
    return kvFormat.id();
  }

  /** Bytes of the weight arena. */
  public long weightBytes() {
    return model.arena.capacity();
  }

  /** Free and total device memory now. */
  public long[] memoryInfo() {
    SizeTPointer free = new SizeTPointer(1), total = new SizeTPointer(1);
    check(cudaMemGetInfo(free, total), "cudaMemGetInfo");
    return new long[] {free.get(), total.get()};
  }

  /**
   * Free memory, plus what the KV pages, the step workspace and the dense expert scratch hold now, less
   * {@link #KV_RESERVE} and what the workspace and the scratch grow to for steps of up to {@code step}
   * (the scratch only where steps reach {@link ExpertGemmPlan#DENSE_MIN_TOKENS} tokens).
   */
  @Override
  public long kvMemoryBudgetBytes(StepBudget step) {
    int tokens = Math.max(step.maxTokensPerStep(), ws == null ? 0 : ws.tokens);
    int rows = Math.max(Math.min(step.maxSeqsPerStep(), step.maxTokensPerStep()), ws == null ? 0 : ws.rows);
    int denseTokens = Math.max(tokens, dense == null ? 0 : dense.tokens);
    long held = (kvArena == null ? 0 : kvArena.capacity()) + (ws == null ? 0 : ws.arena.capacity())
        + (dense == null ? 0 : DenseExperts.bytes(c, dense.tokens, precise));
    long denseBytes = !denseUnavailable && denseTokens >= ExpertGemmPlan.DENSE_MIN_TOKENS ? DenseExperts.bytes(c, denseTokens, precise) : 0;
    return Math.max(0, memoryInfo()[0] + held - KV_RESERVE - Workspace.bytes(c, tokens, rows) - denseBytes);
  }

  @Override
  public void allocateKvCache(KvCacheSpec spec) {
    if (kvFormat == KvFormat.FP8 && !AttentionPlan.tensorCores(kvFormat, c.headDim(), spec.pageSize())) {
      throw new BackendException("the FP8 KV cache needs tensor-core attention: head_dim 16, 32 or 64 and pages of "
          + AttentionPlan.PAGE + " tokens (head_dim " + c.headDim() + ", pages of " + spec.pageSize() + ")");
    }
    check(cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    invalidateGraphs();
    if (kvArena != null) kvArena.close();
    kvArena = null;
    long fullBytes = (long) spec.fullPages() * kvPageBytes(spec.pageSize(), false);
    long slidingBytes = (long) spec.slidingPages() * kvPageBytes(spec.pageSize(), true);
    kvArena = new DeviceArena("KV pages (" + spec.fullPages() + " full + " + spec.slidingPages() + " sliding of "
        + spec.pageSize() + " tokens)", DeviceArena.aligned(fullBytes) + DeviceArena.aligned(slidingBytes));
    fullPool = kvArena.alloc(fullBytes);
    slidingPool = kvArena.alloc(slidingBytes);
    fullPages = spec.fullPages();
    slidingPages = spec.slidingPages();
    pageSize = spec.pageSize();
    tensorCoreAttention = AttentionPlan.tensorCores(kvFormat, c.headDim(), pageSize);

    // Zeroed once: slots past a sequence's end are read (and masked) by the tensor-core kernel, and a
    // NaN left in fresh memory would survive the zero softmax weight.
    if (fullBytes > 0) check(cudaMemsetAsync(dev(fullPool), 0, fullBytes, stream), "cudaMemsetAsync(full KV pages)");
    if (slidingBytes > 0) check(cudaMemsetAsync(dev(slidingPool), 0, slidingBytes, stream), "cudaMemsetAsync(sliding KV pages)");
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(KV pages zeroed)");
  }

  /**
   * One step, synchronous: metadata built and copied, the forward pass enqueued (or its graph
   * replayed), sampled ids (and logits when asked) copied back, one synchronisation. Every host
   * buffer is sized before the launch, so nothing but the device-to-host copies sits between the
   * launch and the wait. Where the host could work while the GPU runs: see docs/cuda-graphs.md.
   */
  @Override
  public StepResult step(StepBatch batch) {
    if (kvArena == null) throw new BackendException("allocateKvCache must be called before the first step");
    check(cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
    StepMetadata md = new StepMetadata(batch, c.vocabSize(), prefillTile, fullPages, slidingPages, graphs.enabled());
    int T = md.numTokens, R = md.numRows;
    if (T == 0) return new StepResult(new int[0], batch.returnLogits() ? new float[0][] : null);
    ensureWorkspace(T, Math.max(R, 1));
    ensureHostBuffers(R, batch.returnLogits());
    Cuda.trace("step " + T + " tokens " + R + " rows");
    long meta = uploadMetadata(md);
    Cuda.trace("metadata uploaded");
    ExpertGemmPlan chosen = moePlan(T);
    DenseExperts dx = chosen.dense() ? denseExperts(T) : null;
    // no room for the dense scratch (denseExperts said so once): the fused kernels plan the step
    ExpertGemmPlan plan = chosen.dense() && dx == null ? moePlan(T) : chosen;
    if (dx != null) {
      enqueueForward(md, meta, T, R, plan, dx); // reads the expert counts on the host: never captured
    } else {
      graphs.run(DecodeGraphs.Key.of(md, precise, buffers), () -> enqueueForward(md, meta, T, R, plan, null));
    }
    Cuda.trace("enqueued");
    check(cudaMemcpyAsync(sampledHost, dev(ws.sampled), 4L * R, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync(sampled ids)");
    if (batch.returnLogits()) {
      check(cudaMemcpyAsync(logitsHost.position(0), dev(ws.logits), 4L * R * c.vocabSize(), cudaMemcpyDeviceToHost, stream),
          "cudaMemcpyAsync(logits)");
    }
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(step of " + T + " tokens)");
    if (profiler != null) profiler.collect(md.numPrefillItems > 0 ? "prefill" : "decode");
    int[] sampled = new int[R];
    sampledHost.get(sampled, 0, R);
    float[][] logits = null;
    if (batch.returnLogits()) {
      logits = new float[R][c.vocabSize()];
      for (int r = 0; r < R; r++) logitsHost.position((long) r * c.vocabSize()).get(logits[r]);
    }
    return new StepResult(sampled, logits);
  }

  private void ensureWorkspace(int tokens, int rows) {
    if (ws != null && ws.tokens >= tokens && ws.rows >= rows) return;
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    invalidateGraphs();
    // Grown, never shrunk: steps of many tokens and steps of many rows alternate in continuous batching.
    int t = Math.max(tokens, ws == null ? 0 : ws.tokens), r = Math.max(rows, ws == null ? 0 : ws.rows);
    if (ws != null) ws.close();
    ws = null;
    ws = new Workspace(c, t, r);
  }

  /** Pinned sampled-id buffer and (only when asked) the logits buffer, sized before the launch. */
  private void ensureHostBuffers(int rows, boolean logits) {
    if (sampledHost == null || sampledHostInts < rows) {
      if (sampledHost != null) cudaFreeHost(sampledHost);
      sampledHost = null;
      IntPointer p = new IntPointer();
      long ints = Math.max(rows, 1024);
      check(cudaMallocHost(p, ints * 4), "cudaMallocHost(sampled ids)");
      sampledHost = p.capacity(ints);
      sampledHostInts = ints;
    }
    long floats = (long) rows * c.vocabSize();
    if (logits && (logitsHost == null || logitsHost.capacity() < floats)) {
      if (logitsHost != null) logitsHost.close();
      logitsHost = new FloatPointer(floats);
    }
  }

  /** The graphs address the workspace, the metadata buffer and the KV pools: new ones void them. */
  private void invalidateGraphs() {
    graphs.invalidate();
    buffers++;
  }

  private long uploadMetadata(StepMetadata md) {
    long ints = md.length;
    if (metaHost == null || metaHostInts < ints) {
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
      invalidateGraphs();
      if (metaHost != null) cudaFreeHost(metaHost);
      if (metaDev != null) metaDev.close();
      metaHostInts = Math.max(ints * 2, 1 << 16);
      metaHost = new IntPointer();
      check(cudaMallocHost(metaHost, metaHostInts * 4), "cudaMallocHost(step metadata)");
      metaHost.capacity(metaHostInts);
      metaDev = new DeviceArena("step metadata", metaHostInts * 4);
    }
    metaHost.position(0).put(md.data, 0, md.length);
    long base = metaDev.base();
    check(cudaMemcpyAsync(dev(base), metaHost, 4L * ints, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync(step metadata)");
    return base;
  }

  /** Every kernel of one step, in order, on the stream; no host synchronisation. */
  private void enqueueForward(StepMetadata md, long meta, int T, int R, ExpertGemmPlan moe, DenseExperts denseExperts) {
    int H = c.hiddenSize(), Q = c.qDim(), KV = c.kvDim(), E = c.numLocalExperts(), topK = c.numExpertsPerTok(),
        I = c.intermediateSize(), V = c.vocabSize();
    float eps = (float) c.rmsNormEps();
    long tokens = meta + 4L * md.offTokens, positions = meta + 4L * md.offPositions, tokenSeq = meta + 4L * md.offTokenSeq;
    KernelArgs a = k.args;
    prof("embed+norm");
    a.reset().ptr(model.embed).ptr(tokens).ptr(ws.x).i32(T).i32(H);
    k.launch("embedding_gather", T, 1, 256);
    boolean smallRoute = !splitRoute && denseExperts == null && RoutePlan.small(T, topK, E);
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      DeviceModel.Layer w = model.layers.get(l);
      boolean sliding = c.isSliding(l);
      int lot = layerOfType[l];
      int layersOfType = sliding ? c.numSlidingLayers() : c.numFullLayers();
      long pool = sliding ? slidingPool : fullPool;
      long table = meta + 4L * (sliding ? md.offSlidingTable : md.offFullTable);
      // The previous layer's experts join the residual stream here (moe_combine folded into the norm).
      a.reset().ptr(ws.x).ptr(0).ptr(0).ptr(w.inputNorm()).ptr(0).ptr(ws.h).ptr(lo(ws.hLo)).ptr(l > 0 ? ws.y : 0)
          .ptr(l > 0 ? ws.expertWeights : 0).i32(T).i32(H).f32(eps).i32(topK);
      k.launch("residual_rmsnorm", T, 1, rowThreads(T, 256));
      prof("qkv gemm");
      gemm(ws.h, lo(ws.hLo), w.wqkv(), ws.qkv, T, Q + 2 * KV, H);
      prof("rope+store");
      a.reset().ptr(ws.qkv).ptr(w.bqkv()).ptr(model.invFreq).ptr(positions).ptr(tokenSeq).ptr(table).ptr(ws.q).ptr(pool)
          .i32(T).i32(c.numAttentionHeads()).i32(c.numKeyValueHeads()).i32(c.headDim()).i32(pageSize).i32(md.maxPages)
          .i32(layersOfType).i32(lot).f32(attentionFactor);
      k.launch("qkv_rope_store", T, 1, rowThreads(T, 128));
      prof(sliding ? "attention sliding" : "attention full");
      attention(true, md.offPrefillItems, md.numPrefillItems, meta, w, pool, table, positions, md.maxPages,
          layersOfType, lot, sliding);
      attention(false, md.offDecodeItems, md.numDecodeItems, meta, w, pool, table, positions, md.maxPages,
          layersOfType, lot, sliding);
      prof("o gemm+norm");
      gemm(ws.attn, lo(ws.attnLo), w.wo(), ws.tmp, T, H, Q);
      a.reset().ptr(ws.x).ptr(ws.tmp).ptr(w.bo()).ptr(w.postNorm()).ptr(0).ptr(ws.h).ptr(lo(ws.hLo)).ptr(0).ptr(0)
          .i32(T).i32(H).f32(eps).i32(0);
      k.launch("residual_rmsnorm", T, 1, rowThreads(T, 256));
      prof("router+group");
      gemm(ws.h, lo(ws.hLo), w.router(), ws.routerLogits, T, E, H);
      if (smallRoute) {
        a.reset().ptr(ws.routerLogits).ptr(w.routerBias()).ptr(ws.expertIds).ptr(ws.expertWeights).ptr(ws.tiles)
            .ptr(ws.numTiles).ptr(ws.assign).i32(T).i32(E).i32(topK).i32(moe.tileM()).i32(moe.maxTiles());
        k.launch("moe_route_small", 1, 1, RoutePlan.SMALL_THREADS);
      } else {
        check(cudaMemsetAsync(dev(ws.counts), 0, 4L * E, stream), "cudaMemsetAsync(expert counts)");
        a.reset().ptr(ws.routerLogits).ptr(w.routerBias()).ptr(ws.expertIds).ptr(ws.expertWeights).ptr(ws.counts).i32(T).i32(E).i32(topK);
        k.launch("moe_topk", (T + 127) / 128, 1, 128);
        a.reset().ptr(ws.counts).ptr(ws.cursor).ptr(ws.tiles).ptr(ws.numTiles).i32(E).i32(moe.tileM()).i32(moe.maxTiles());
        k.launch("moe_group", 1, 1, 256);
        a.reset().ptr(ws.expertIds).ptr(ws.cursor).ptr(ws.assign).i32(T * topK);
        k.launch("moe_scatter", (T * topK + 255) / 256, 1, 256);
      }
      if (denseExperts != null) {
        prof("moe dense");
        denseExperts.enqueue(ws, w, T, lo(ws.hLo), lo(ws.actLo));
        continue;
      }
      prof("moe gate_up");
      a.reset().ptr(ws.h).ptr(lo(ws.hLo)).ptr(ws.assign).ptr(ws.tiles).ptr(ws.numTiles).ptr(w.gateUpBlocks())
          .ptr(w.gateUpScales()).ptr(w.gateUpBias()).ptr(ws.act).ptr(lo(ws.actLo)).i32(topK).i32(H).i32(2 * I).i32(0)
          .f32((float) c.swigluLimit());
      k.launch(moe.kernel(), moe.maxTiles(), moe.featureBlocks(2 * I), moe.threads(), moe.sharedBytes());
      prof("moe down");
      ExpertGemmPlan down = moe.downProduct();
      a.reset().ptr(ws.act).ptr(lo(ws.actLo)).ptr(ws.assign).ptr(ws.tiles).ptr(ws.numTiles).ptr(w.downBlocks())
          .ptr(w.downScales()).ptr(w.downBias()).ptr(ws.y).ptr(0).i32(topK).i32(I).i32(H).i32(1).f32((float) c.swigluLimit());
      k.launch(down.kernel(), down.maxTiles(), down.featureBlocks(H), down.threads(), down.sharedBytes());
      // moe_combine is folded into the next residual_rmsnorm (the next layer's input norm, or the final norm).
    }
    prof("final norm+lm_head");
    // The last layer's experts join the output rows only: nothing reads x after this norm.
    a.reset().ptr(ws.x).ptr(0).ptr(0).ptr(model.norm).ptr(meta + 4L * md.offRows).ptr(ws.hn).ptr(lo(ws.hnLo))
        .ptr(c.numHiddenLayers() > 0 ? ws.y : 0).ptr(c.numHiddenLayers() > 0 ? ws.expertWeights : 0)
        .i32(R).i32(H).f32(eps).i32(topK);
    k.launch("residual_rmsnorm", R, 1, rowThreads(R, 256));
    gemm(ws.hn, lo(ws.hnLo), model.lmHead, ws.logits, R, V, H);
    a.reset().ptr(ws.logits).ptr(meta + 4L * md.offSampling).ptr(ws.sampled).i32(R).i32(V);
    prof("sampling");
    k.launch("sample_rows", R, 1, 1024);
    if (profiler != null) profiler.end();
  }

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

  /** Programmatic dependent launch (see {@link Kernels}): sm_90 and later, unless GPTOSS_CUDA_PDL is "0" or "off". */
  static boolean programmaticLaunch(int major, String env) {
    if (env != null && !env.isBlank()) {
      String v = env.trim().toLowerCase(java.util.Locale.ROOT);
      if (v.equals("0") || v.equals("off")) return false;
      if (!v.equals("1") && !v.equals("on") && !v.equals("auto")) {
        throw new BackendException("GPTOSS_CUDA_PDL=" + env + ": expected auto (default), on or off");
      }
    }
    return major >= 9;
  }

  private ExpertGemmPlan moePlan(int tokens) {
    return ExpertGemmPlan.of(tokens, c.numExpertsPerTok(), c.numLocalExperts(), c.hiddenSize(), c.intermediateSize(),
        precise, hopper(), forcedMoeKernel, !denseUnavailable);
  }

  /**
   * The dense expert scratch, (re)made for at least {@code tokens} tokens; null (once said on stderr,
   * and {@link #denseUnavailable} set) when the device has no room for it, unless GPTOSS_CUDA_MOE=dense
   * asked for that path.
   */
  private DenseExperts denseExperts(int tokens) {
    if (dense != null && dense.tokens >= tokens) return dense;
    if (dense != null) {
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
      dense.close();
      dense = null;
    }
    try {
      dense = new DenseExperts(c, k, stream, blas, blasWorkspace.base(), this::cublasGemm, Math.max(tokens, ws.tokens), precise);
      return dense;
    } catch (CudaException e) {
      if (e.code() != cudaErrorMemoryAllocation || forcedMoeKernel != null) throw e;
      cudaGetLastError(); // the failed allocation leaves nothing sticky; clear its record
      denseUnavailable = true;
      System.err.println("gptoss: no device memory for the dense expert path (" + e.getMessage()
          + "); large steps use the fused expert kernels");
      return null;
    }
  }

  private void prof(String section) {
    if (profiler != null) profiler.section(section);
  }

  /** Per-kernel-family GPU time so far (GPTOSS_PROFILE set), or an empty string. */
  public String profileReport() {
    return profiler == null ? "" : profiler.report();
  }

  /** One item list's attention (see AttentionPlan): attention_mma (+ attention_combine when split), or the SIMT kernel. */
  private void attention(boolean prefill, int off, int items, long meta, DeviceModel.Layer w, long pool, long table,
      long positions, int maxPages, int layersOfType, int lot, boolean sliding) {
    if (items == 0) return;
    int window = sliding ? c.slidingWindow() : 0;
    AttentionPlan p = AttentionPlan.of(tensorCoreAttention, prefill, items, prefillTile, c.numAttentionHeads(),
        c.numKeyValueHeads(), maxPages, window);
    k.args.reset().ptr(ws.q).ptr(pool).ptr(table).ptr(w.sinks()).ptr(positions).ptr(meta + 4L * off).ptr(ws.attn)
        .ptr(lo(ws.attnLo)).ptr(ws.attnPartials).i32(items).i32(c.numAttentionHeads()).i32(c.numKeyValueHeads())
        .i32(c.headDim()).i32(pageSize).i32(maxPages).i32(layersOfType).i32(lot).i32(window)
        .f32((float) (1.0 / Math.sqrt(c.headDim()))).i32(p.splits()).i32(p.warpsPerItem());
    k.launch(p.kernel(), p.gridX(), p.gridY(), p.gridZ(), p.block(), 0);
    if (p.splits() > 1) k.launch("attention_combine", p.tasks(items), p.gridY(), 256);
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
    if (SmallGemv.applies(smallGemv, m, kDim, precise)) {
      // w must be the model's: bf16_gemv loads it before waiting for the previous kernel (gemv_bf16.cu)
      k.args.reset().ptr(w).ptr(in).ptr(inLo).ptr(out).i32(m).i32(n).i32(kDim);
      k.launch(SmallGemv.KERNEL, SmallGemv.blocks(n), 1, 256);
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
    checkBlas(cublas.cublasGemmEx(blas, cublas.CUBLAS_OP_T, cublas.CUBLAS_OP_N, n, m, kDim, one, dev(w), CUDA_R_16BF, kDim,
        dev(in), CUDA_R_16BF, kDim, zero, dev(out), CUDA_R_32F, n, cublas.CUBLAS_COMPUTE_32F, cublas.CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx(" + m + "x" + n + "x" + kDim + ")");
    if (inLo != 0) {
      checkBlas(cublas.cublasGemmEx(blas, cublas.CUBLAS_OP_T, cublas.CUBLAS_OP_N, n, m, kDim, one, dev(w), CUDA_R_16BF, kDim,
          dev(inLo), CUDA_R_16BF, kDim, one, dev(out), CUDA_R_32F, n, cublas.CUBLAS_COMPUTE_32F, cublas.CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx(low part, " + m + "x" + n + "x" + kDim + ")");
    }
  }

  public boolean precise() {
    return precise;
  }

  public Precision precision() {
    return precision;
  }

  /**
   * Runs the sampling kernel on one given row of logits (conformance checks of the kernel against
   * {@link ai.gptoss.backend.Sampler}).
   */
  public int sampleRow(float[] logits, ai.gptoss.backend.SamplingParams p) {
    check(cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
    if (logits.length != c.vocabSize()) throw new BackendException("sampleRow: " + logits.length + " logits for vocab " + c.vocabSize());
    ensureWorkspace(1, 1);
    try (FloatPointer row = new FloatPointer(logits);
        FloatPointer params = new FloatPointer(p.temperature(), p.topP(), (float) p.topK(),
            p.isGreedy() ? 0f : (float) ai.gptoss.backend.Sampler.uniform(p.seed(), p.counter()));
        IntPointer out = new IntPointer(1)) {
      check(cudaMemcpy(dev(ws.logits), row, 4L * logits.length, cudaMemcpyHostToDevice), "cudaMemcpy(logits row)");
      check(cudaMemcpy(dev(ws.hn), params, 16, cudaMemcpyHostToDevice), "cudaMemcpy(sampling params)");
      k.args.reset().ptr(ws.logits).ptr(ws.hn).ptr(ws.sampled).i32(1).i32(c.vocabSize());
      k.launch("sample_rows", 1, 1, 1024);
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(sample_rows)");
      check(cudaMemcpy(out, dev(ws.sampled), 4, cudaMemcpyDeviceToHost), "cudaMemcpy(sampled id)");
      return out.get(0);
    }
  }

  /** Waits for the GPU (benchmarks). */
  public void synchronize() {
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  }

  public long kernelLaunches() {
    return k.launches;
  }

  /** Graph counters (checks and benchmarks). */
  DecodeGraphs.Stats graphStats() {
    return graphs.stats();
  }

  /** Graphs on or off for the following steps (checks that compare both); the cached ones stay. */
  void useGraphs(boolean on) {
    graphs.enabled(on && profiler == null);
  }

  /** Captures a decode shape on its {@code n}-th sighting (checks use 1). */
  void captureGraphsAfter(int n) {
    graphs.captureAfter(n);
  }

  @Override
  public void close() {
    cudaSetDevice(ordinal);
    cudaStreamSynchronize(stream);
    graphs.close();
    if (ws != null) ws.close();
    if (dense != null) dense.close();
    dense = null;
    if (kvArena != null) kvArena.close();
    if (metaDev != null) metaDev.close();
    if (metaHost != null) cudaFreeHost(metaHost);
    if (sampledHost != null) cudaFreeHost(sampledHost);
    if (logitsHost != null) logitsHost.close();
    metaHost = null;
    sampledHost = null;
    logitsHost = null;
    ws = null;
    kvArena = null;
    model.close();
    cublas.cublasDestroy_v2(blas);
    blasWorkspace.close();
    k.close();
    cudaStreamDestroy(stream);
  }

  /** Per-step device buffers, sized for a number of tokens and output rows; one allocation. */
  static final class Workspace implements AutoCloseable {
    final int tokens, rows;
    final DeviceArena arena;
    final long x, h, qkv, q, attn, tmp, routerLogits, expertIds, expertWeights, counts, cursor, tiles, numTiles, assign,
        act, y, hn, logits, sampled, hLo, attnLo, actLo, hnLo, attnPartials;

    static long bytes(ModelConfig c, int t, int r) {
      return DeviceArena.alignedTotal(sizes(c, t, r));
    }

    private static long[] sizes(ModelConfig c, long t, long r) {
      long H = c.hiddenSize(), Q = c.qDim(), KV = c.kvDim(), E = c.numLocalExperts(), k = c.numExpertsPerTok(),
          I = c.intermediateSize(), V = c.vocabSize();
      return new long[] {t * H * 4, t * H * 2, t * (Q + 2 * KV) * 4, t * Q * 4, t * Q * 2, t * H * 4, t * E * 4, t * k * 4,
          t * k * 4, E * 4, E * 4, 3L * ExpertGemmPlan.maxTilesAnyKernel((int) t, (int) k, (int) E) * 4, 4, t * k * 4,
          t * k * I * 2, t * k * H * 4, r * H * 2, r * V * 4, r * 4, t * H * 2, t * Q * 2, t * k * I * 2, r * H * 2,
          AttentionPlan.partialFloats(c.headDim()) * 4};
    }

    Workspace(ModelConfig c, int t, int r) {
      tokens = t;
      rows = r;
      long[] s = sizes(c, t, r);
      arena = new DeviceArena("step workspace for " + t + " tokens, " + r + " output rows", DeviceArena.alignedTotal(s));
      int i = 0;
      x = arena.alloc(s[i++]);
      h = arena.alloc(s[i++]);
      qkv = arena.alloc(s[i++]);
      q = arena.alloc(s[i++]);
      attn = arena.alloc(s[i++]);
      tmp = arena.alloc(s[i++]);
      routerLogits = arena.alloc(s[i++]);
      expertIds = arena.alloc(s[i++]);
      expertWeights = arena.alloc(s[i++]);
      counts = arena.alloc(s[i++]);
      cursor = arena.alloc(s[i++]);
      tiles = arena.alloc(s[i++]);
      numTiles = arena.alloc(s[i++]);
      assign = arena.alloc(s[i++]);
      act = arena.alloc(s[i++]);
      y = arena.alloc(s[i++]);
      hn = arena.alloc(s[i++]);
      logits = arena.alloc(s[i++]);
      sampled = arena.alloc(s[i++]);
      hLo = arena.alloc(s[i++]);
      attnLo = arena.alloc(s[i++]);
      actLo = arena.alloc(s[i++]);
      hnLo = arena.alloc(s[i++]);
      attnPartials = arena.alloc(s[i++]); // split-K partials of attention_mma: bounded by AttentionPlan, not by t
    }

    @Override
    public void close() {
      arena.close();
    }
  }
}
