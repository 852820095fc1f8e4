package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static ai.gptoss.backend.cuda.Cuda.checkBlas;
import static ai.gptoss.backend.cuda.Cuda.dev;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.model.ModelConfig;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * The GPU as the CUDA backend uses it, and its memory plan: device selection and context, compute
 * capability (kernel arch, K/V cache format, programmatic launch), the step stream, the cuBLAS handle
 * with its fixed workspace, free and total memory, the default step budget and the memory left to
 * the K/V cache once the step buffers are planned.
 */
final class DevicePlan implements AutoCloseable {
  /** Left free for cuBLAS and workspace growth. */
  static final long KV_RESERVE = 1536L << 20;
  /** cuBLAS workspace, fixed so that cuBLAS never allocates under graph capture (32 MiB: Hopper's advice). */
  static final long BLAS_WORKSPACE = 32L << 20;

  final int ordinal;
  final int major, minor;
  final String arch;
  final String deviceName;
  /** bf16 K/V, float32 in {@link Precision#EXACT}, or FP8 when GPTOSS_KV_CACHE_DTYPE=fp8 (see KvFormat). */
  final KvFormat kvFormat;
  final CUstream_st stream = new CUstream_st();
  final cublasContext blas = new cublasContext();
  final DeviceArena blasWorkspace;

  /** Selects GPU {@code ordinal}, creates its context, the step stream and the cuBLAS handle. */
  DevicePlan(int ordinal, Precision precision, KvCacheDtype kvCacheDtype) {
    this.ordinal = ordinal;
    Cuda.trace("cudaSetDevice " + ordinal);
    check(cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
    check(cudaFree(null), "cudaFree(null) (context creation on GPU " + ordinal + ")");
    int[] major = new int[1], minor = new int[1];
    check(cudaDeviceGetAttribute(major, cudaDevAttrComputeCapabilityMajor, ordinal), "cudaDeviceGetAttribute(major)");
    check(cudaDeviceGetAttribute(minor, cudaDevAttrComputeCapabilityMinor, ordinal), "cudaDeviceGetAttribute(minor)");
    this.major = major[0];
    this.minor = minor[0];
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
  }

  /** Hopper (sm_90a): the wgmma kernels have a body. */
  boolean hopper() {
    return arch.startsWith("sm_90");
  }

  /** Makes this GPU the calling thread's current device. */
  void select() {
    check(cudaSetDevice(ordinal), "cudaSetDevice(" + ordinal + ")");
  }

  /** Free and total device memory now. */
  long[] memoryInfo() {
    SizeTPointer free = new SizeTPointer(1), total = new SizeTPointer(1);
    check(cudaMemGetInfo(free, total), "cudaMemGetInfo");
    return new long[] {free.get(), total.get()};
  }

  /** vLLM's offline defaults for this GPU: 16,384 tokens and 1,024 sequences on GPUs of >= 70 GiB but the A100. */
  StepBudget defaultStepBudget() {
    return StepBudget.forGpu(memoryInfo()[1], deviceName);
  }

  /**
   * Free memory, plus what the KV pages, the step buffers and the dense expert scratch hold now, less
   * {@link #KV_RESERVE} and what the buffers and the scratch grow to for steps of up to {@code step}
   * (the scratch only where steps reach {@link ExpertGemmPlan#DENSE_MIN_TOKENS} tokens and is not
   * known not to fit). Any of {@code ws}, {@code kv}, {@code dense} may be null (not made yet).
   */
  long kvMemoryBudgetBytes(StepBudget step, ModelConfig c, StepBuffers ws, KvPages kv, DenseExperts dense,
      boolean denseUnavailable, boolean precise) {
    int tokens = Math.max(step.maxTokensPerStep(), ws == null ? 0 : ws.tokens);
    int rows = Math.max(Math.min(step.maxSeqsPerStep(), step.maxTokensPerStep()), ws == null ? 0 : ws.rows);
    int denseTokens = Math.max(tokens, dense == null ? 0 : dense.tokens);
    long held = (kv == null ? 0 : kv.arena.capacity()) + (ws == null ? 0 : ws.arena.capacity())
        + (dense == null ? 0 : DenseExperts.bytes(c, dense.tokens, precise));
    long denseBytes = !denseUnavailable && denseTokens >= ExpertGemmPlan.DENSE_MIN_TOKENS ? DenseExperts.bytes(c, denseTokens, precise) : 0;
    return Math.max(0, memoryInfo()[0] + held - KV_RESERVE - StepBuffers.bytes(c, tokens, rows) - denseBytes);
  }

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

  /** Destroys the cuBLAS handle, its workspace and the stream (after the stream's work is done). */
  @Override
  public void close() {
    cublas.cublasDestroy_v2(blas);
    blasWorkspace.close();
    cudaStreamDestroy(stream);
  }
}
