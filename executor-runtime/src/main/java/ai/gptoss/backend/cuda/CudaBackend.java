package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
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
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

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
 *
 * <p>This class is the {@link Backend} that wires the parts together: {@link DevicePlan} (the GPU, its
 * stream and cuBLAS handle, the memory plan), {@link KvPages} (the K/V cache), {@link StepBuffers}
 * (the per-step device buffers), {@link ForwardPass} (the kernels of a step) and the step's host side
 * (metadata upload, pinned result buffers, CUDA graphs), plus the hooks the GPU checks use.
 */
public final class CudaBackend implements Backend {
  private final ModelConfig c;
  /** The forward pass's environment switches, read first: a bad value fails before the GPU is touched. */
  private final ForwardPass.Options options = ForwardPass.Options.fromEnvironment();
  private final DevicePlan device;
  private final DeviceModel model;
  private final Kernels k;
  private final ForwardPass forward;
  /**
   * Activations enter every tensor-core product as a bf16 high/low pair (about 16 mantissa bits);
   * off ({@link Precision#FAST}), they are rounded to bf16 once. Weights are exact in bf16 either way.
   */
  private final boolean precise;
  private final Precision precision;

  private StepBuffers ws;
  private KvPages kv;
  private IntPointer metaHost;
  private long metaHostInts;
  private DeviceArena metaDev;
  private final StepProfiler profiler;
  /** Token masks of constrained rows (structured output), uploaded once per mask. */
  private final DeviceMasks masks;
  private IntPointer sampledHost;
  private long sampledHostInts;
  private FloatPointer logitsHost; // pageable, only for steps that return logits
  private final DecodeGraphs<org.bytedeco.cuda.cudart.CUgraphExec_st> graphs;
  /** Bumped whenever a buffer that launches address is reallocated (graphs keyed by it). */
  private long buffers;

  /**
   * Uploads {@code weights} (already in host memory) to GPU {@code ordinal}. Settings come in as arguments, never
   * from the environment (a checker parses them where it starts: {@code EngineSettings.fromEnvironment}).
   */
  public static CudaBackend upload(ModelWeights weights, int ordinal, Precision precision, KvCacheDtype kvCacheDtype) {
    return new CudaBackend(weights.config, ordinal, precision, kvCacheDtype, k -> DeviceModel.upload(weights), null);
  }

  /**
   * One rank of an engine spanning several GPUs ({@link ParallelCudaBackend}): uploads {@code shard} (a model of the
   * rank's shapes holding {@code rank}'s experts and vocabulary rows) to GPU {@code ordinal}. Its steps sum partial
   * outputs with the other ranks through {@code rank}'s collectives, and so run without CUDA graphs (a collective may
   * wait on the host).
   */
  static CudaBackend rank(ModelWeights shard, int ordinal, Precision precision, KvCacheDtype kvCacheDtype, DeviceRank rank) {
    return new CudaBackend(shard.config, ordinal, precision, kvCacheDtype,
        k -> DeviceModel.upload(shard, rank.heldExperts(), rank.vocab().size()), rank);
  }

  /** Streams a checkpoint to GPU {@code ordinal} (no float copy of the weights on the host). */
  public static CudaBackend load(Checkpoint ckpt, int ordinal, Precision precision, KvCacheDtype kvCacheDtype) {
    return new CudaBackend(ckpt.config(), ordinal, precision, kvCacheDtype, k -> DeviceModel.load(ckpt), null);
  }

  /** A model with {@code config}'s shapes and random weights generated on the GPU. */
  public static CudaBackend synthetic(ModelConfig config, int ordinal, long seed, Precision precision,
      KvCacheDtype kvCacheDtype) {
    return new CudaBackend(config, ordinal, precision, kvCacheDtype, k -> DeviceModel.synthetic(config, k, seed), null);
  }

  private CudaBackend(ModelConfig c, int ordinal, Precision precision, KvCacheDtype kvCacheDtype,
      java.util.function.Function<Kernels, DeviceModel> weights, DeviceRank rank) {
    this.c = c;
    this.precision = precision;
    this.precise = precision.pairedActivations;
    ForwardPass.checkSupported(c);
    if (rank != null && ExpertGemmPlan.DENSE.equals(options.forcedMoeKernel())) {
      throw new BackendException("GPTOSS_CUDA_MOE=dense: the dense expert path is not split over the ranks of a "
          + "multi-GPU engine; unset it or choose a fused kernel");
    }
    device = new DevicePlan(ordinal, precision, kvCacheDtype);
    profiler = System.getenv("GPTOSS_PROFILE") != null ? new StepProfiler(device.stream) : null;
    masks = new DeviceMasks(c.vocabSize(), device.stream);
    graphs = new DecodeGraphs<>(new CudaGraphs(device.stream),
        rank == null && DecodeGraphs.enabledByEnvironment(System.getenv("GPTOSS_CUDA_GRAPHS"), System.getenv("GPTOSS_PROFILE")),
        System.err::println);
    Cuda.trace("kernels");
    k = new Kernels(new KernelCompiler(device.arch, device.kvFormat.defines), device.stream,
        DevicePlan.programmaticLaunch(device.major, System.getenv("GPTOSS_CUDA_PDL")));
    ForwardPass.allowSharedMemory(k, c, device.hopper());
    Cuda.trace("weights");
    model = weights.apply(k);
    check(cudaStreamSynchronize(device.stream), "cudaStreamSynchronize(after loading weights)");
    Cuda.trace("loaded");
    forward = new ForwardPass(c, model, k, device, options, precise, profiler, rank);
  }

  @Override
  public ModelConfig config() {
    return c;
  }

  @Override
  public String name() {
    return "cuda:" + device.ordinal;
  }

  public String arch() {
    return device.arch;
  }

  /** The GPU's name as CUDA reports it ("NVIDIA H100 80GB HBM3"). */
  public String deviceName() {
    return device.deviceName;
  }

  /** vLLM's offline defaults for this GPU: 16,384 tokens and 1,024 sequences on GPUs of >= 70 GiB but the A100. */
  @Override
  public StepBudget defaultStepBudget() {
    return device.defaultStepBudget();
  }

  @Override
  public int kvBytesPerElement() {
    return device.kvFormat.bytesPerElement;
  }

  /** The K/V cache's element type: "f32", "bf16" or "fp8" (E4M3). */
  public String kvCacheDtype() {
    return device.kvFormat.id();
  }

  /** Bytes of the weight arena. */
  public long weightBytes() {
    return model.arena.capacity();
  }

  /** Free and total device memory now. */
  public long[] memoryInfo() {
    device.select();
    return device.memoryInfo();
  }

  /** See {@link DevicePlan#kvMemoryBudgetBytes}. */
  @Override
  public long kvMemoryBudgetBytes(StepBudget step) {
    device.select(); // the caller's thread may have another GPU current (the ranks of a ParallelCudaBackend)
    return device.kvMemoryBudgetBytes(step, c, ws, kv, forward.dense(), forward.denseUnavailable(), precise);
  }

  @Override
  public void allocateKvCache(KvCacheSpec spec) {
    KvPages.checkSupported(spec, device.kvFormat, c);
    device.select();
    check(cudaStreamSynchronize(device.stream), "cudaStreamSynchronize");
    invalidateGraphs();
    if (kv != null) kv.close();
    kv = null;
    kv = new KvPages(spec, kvPageBytes(spec.pageSize(), false), kvPageBytes(spec.pageSize(), true), c, device.kvFormat,
        device.stream);
  }

  /**
   * One step, synchronous: metadata built and copied, the forward pass enqueued (or its graph
   * replayed), sampled ids (and logits when asked) copied back, one synchronisation. Every host
   * buffer is sized before the launch, so nothing but the device-to-host copies sits between the
   * launch and the wait. Where the host could work while the GPU runs: see docs/cuda-graphs.md.
   */
  @Override
  public StepResult step(StepBatch batch) {
    if (kv == null) throw new BackendException("allocateKvCache must be called before the first step");
    device.select();
    int[] maskSlots = masks.prepare(batch, this::invalidateGraphs); // copies new token masks (structured output)
    StepMetadata md = new StepMetadata(batch, c.vocabSize(), forward.prefillTile, kv.fullPages, kv.slidingPages, graphs.enabled(),
        maskSlots, masks.table());
    int T = md.numTokens, R = md.numRows;
    if (T == 0) return new StepResult(new int[0], batch.returnLogits() ? new float[0][] : null);
    ensureWorkspace(T, Math.max(R, 1));
    ensureHostBuffers(R, batch.returnLogits());
    Cuda.trace("step " + T + " tokens " + R + " rows");
    long meta = uploadMetadata(md);
    Cuda.trace("metadata uploaded");
    ForwardPass.Experts experts = forward.experts(T, ws);
    ExpertGemmPlan plan = experts.plan();
    StepBuffers ws = this.ws;
    KvPages kv = this.kv;
    if (experts.dense() != null) {
      forward.enqueue(md, meta, T, R, plan, experts.dense(), ws, kv); // reads the expert counts on the host: never captured
    } else {
      graphs.run(DecodeGraphs.Key.of(md, precise, buffers), () -> forward.enqueue(md, meta, T, R, plan, null, ws, kv));
    }
    Cuda.trace("enqueued");
    check(cudaMemcpyAsync(sampledHost, dev(ws.sampled), 4L * R, cudaMemcpyDeviceToHost, device.stream), "cudaMemcpyAsync(sampled ids)");
    if (batch.returnLogits()) {
      check(cudaMemcpyAsync(logitsHost.position(0), dev(ws.logits), 4L * R * c.vocabSize(), cudaMemcpyDeviceToHost, device.stream),
          "cudaMemcpyAsync(logits)");
    }
    check(cudaStreamSynchronize(device.stream), "cudaStreamSynchronize(step of " + T + " tokens)");
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
    check(cudaStreamSynchronize(device.stream), "cudaStreamSynchronize");
    invalidateGraphs();
    // Grown, never shrunk: steps of many tokens and steps of many rows alternate in continuous batching.
    int t = Math.max(tokens, ws == null ? 0 : ws.tokens), r = Math.max(rows, ws == null ? 0 : ws.rows);
    if (ws != null) ws.close();
    ws = null;
    ws = new StepBuffers(c, t, r);
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
      check(cudaStreamSynchronize(device.stream), "cudaStreamSynchronize");
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
    check(cudaMemcpyAsync(dev(base), metaHost, 4L * ints, cudaMemcpyHostToDevice, device.stream), "cudaMemcpyAsync(step metadata)");
    return base;
  }

  /** Per-kernel-family GPU time so far (GPTOSS_PROFILE set), or an empty string. */
  public String profileReport() {
    return profiler == null ? "" : profiler.report();
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
    return sampleRow(logits, p, null);
  }

  /** As {@link #sampleRow(float[], ai.gptoss.backend.SamplingParams)}, sampling only what {@code mask} allows (null: all). */
  public int sampleRow(float[] logits, ai.gptoss.backend.SamplingParams p, ai.gptoss.backend.TokenMask mask) {
    device.select();
    if (logits.length != c.vocabSize()) throw new BackendException("sampleRow: " + logits.length + " logits for vocab " + c.vocabSize());
    ensureWorkspace(1, 1);
    try (FloatPointer row = new FloatPointer(logits);
        FloatPointer params = new FloatPointer(p.temperature(), p.topP(), (float) p.topK(),
            p.isGreedy() ? 0f : (float) ai.gptoss.backend.Sampler.uniform(p.seed(), p.counter()));
        IntPointer out = new IntPointer(1)) {
      check(cudaMemcpy(dev(ws.logits), row, 4L * logits.length, cudaMemcpyHostToDevice), "cudaMemcpy(logits row)");
      check(cudaMemcpy(dev(ws.hn), params, 16, cudaMemcpyHostToDevice), "cudaMemcpy(sampling params)");
      int words = masks.words();
      try (DeviceArena m = mask == null ? null : new DeviceArena("sampleRow mask", 8L * words + 2 * DeviceArena.ALIGN);
          org.bytedeco.javacpp.LongPointer bits = mask == null ? null : new org.bytedeco.javacpp.LongPointer(mask.bits());
          IntPointer slot = new IntPointer(new int[] {0})) {
        long maskAddr = m == null ? 0 : m.alloc(8L * words), slotAddr = m == null ? 0 : m.alloc(4);
        if (m != null) {
          check(cudaMemcpy(dev(maskAddr), bits, 8L * words, cudaMemcpyHostToDevice), "cudaMemcpy(token mask)");
          check(cudaMemcpy(dev(slotAddr), slot, 4, cudaMemcpyHostToDevice), "cudaMemcpy(mask slot)");
        }
        k.launch("sample_rows", new KernelStruct.SampleArgs(ws.logits, ws.hn, ws.sampled, maskAddr, slotAddr, 1, c.vocabSize(), words),
            1, 1, 1024);
        check(cudaStreamSynchronize(device.stream), "cudaStreamSynchronize(sample_rows)");
      }
      check(cudaMemcpy(out, dev(ws.sampled), 4, cudaMemcpyDeviceToHost), "cudaMemcpy(sampled id)");
      return out.get(0);
    }
  }

  /** Token masks copied to the device so far (structured output; benchmarks). */
  public long maskUploads() {
    return masks.uploads();
  }

  /** Waits for the GPU (benchmarks). */
  public void synchronize() {
    check(cudaStreamSynchronize(device.stream), "cudaStreamSynchronize");
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
    cudaSetDevice(device.ordinal);
    cudaStreamSynchronize(device.stream);
    graphs.close();
    if (ws != null) ws.close();
    forward.close();
    if (kv != null) kv.close();
    if (metaDev != null) metaDev.close();
    masks.close();
    if (metaHost != null) cudaFreeHost(metaHost);
    if (sampledHost != null) cudaFreeHost(sampledHost);
    if (logitsHost != null) logitsHost.close();
    metaHost = null;
    sampledHost = null;
    logitsHost = null;
    ws = null;
    kv = null;
    model.close();
    k.close();
    device.close();
  }
}
