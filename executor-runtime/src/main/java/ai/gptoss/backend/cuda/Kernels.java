package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.checkDrv;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.backend.cuda.KernelStruct.*;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUlaunchAttribute;
import org.bytedeco.cuda.cudart.CUlaunchAttributeValue;
import org.bytedeco.cuda.cudart.CUlaunchConfig;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The project's kernels, loaded from NVRTC cubins, and their launches on one stream. With
 * programmatic launch (sm_90 and later, unless GPTOSS_CUDA_PDL=0) every launch carries programmatic
 * stream serialization: the next kernel may be scheduled while this one runs and waits in its
 * pdl_begin() (gptoss_kernels.h) for this one's results, so the launch gaps of a decode step's ~300
 * small kernels overlap the kernels instead of following them (also inside CUDA graphs).
 */
final class Kernels implements AutoCloseable {
  /** A kernel: its source and the argument struct it takes. */
  record Kernel(String source, Class<? extends KernelStruct> args) {}

  private static Map.Entry<String, Kernel> kernel(String name, String source, Class<? extends KernelStruct> args) {
    return Map.entry(name, new Kernel(source, args));
  }

  /** Every kernel the backend launches (KernelLayoutTest checks each struct against the kernel's signature). */
  private static final Map<String, Kernel> KERNELS = Map.ofEntries(
      kernel("embedding_gather", "embedding.cu", EmbedArgs.class),
      kernel("bf16_gemv", "gemv_bf16.cu", GemvArgs.class),
      kernel("bf16_gemv_tc", "gemv_bf16.cu", GemvArgs.class),
      kernel("residual_rmsnorm", "rmsnorm.cu", RmsNormArgs.class),
      kernel("qkv_rope_store", "rope.cu", QkvRopeArgs.class),
      kernel("attention_prefill", "attention.cu", AttentionArgs.class),
      kernel("attention_decode", "attention.cu", AttentionArgs.class),
      kernel("attention_mma", "attention_mma.cu", AttentionArgs.class),
      kernel("attention_combine", "attention_mma.cu", AttentionArgs.class),
      kernel("moe_topk", "moe_route.cu", MoeRouteArgs.class),
      kernel("moe_group", "moe_route.cu", MoeGroupArgs.class),
      kernel("moe_scatter", "moe_route.cu", MoeScatterArgs.class),
      kernel("moe_route_small", "moe_route.cu", MoeRouteSmallArgs.class),
      kernel("bf16_mxfp4w_moe_gemm", "moe_gemm.cu", MoeGemmArgs.class),
      kernel("bf16_mxfp4w_moe_gemv", "moe_gemv.cu", MoeGemmArgs.class),
      kernel("bf16_mxfp4w_moe_gemv_r4", "moe_gemv.cu", MoeGemmArgs.class),
      kernel("bf16_mxfp4w_moe_gemv_r2", "moe_gemv.cu", MoeGemmArgs.class),
      kernel("bf16_mxfp4w_moe_gemv_r1", "moe_gemv.cu", MoeGemmArgs.class),
      // tensor-core gemv for 1-8 rows per tile: checked by moe_check.cu
      kernel("bf16_mxfp4w_moe_gemv_tc", "moe_gemv_tc.cu", MoeGemmArgs.class),
      // K-split tensor-core gemv for 1-8 rows per tile (GPTOSS_CUDA_MOE_SPLIT): checked by moe_split_check.cu
      kernel("bf16_mxfp4w_moe_gemv_split", "moe_gemv_split.cu", MoeGemmArgs.class),
      // Hopper wgmma expert gemm (sm_90a; an empty trapping body elsewhere): checked by moe_check.cu
      kernel("bf16_mxfp4w_moe_gemm_wgmma", "moe_gemm_wgmma.cu", MoeGemmArgs.class),
      kernel("bf16_mxfp4w_moe_gemm_wgmma_n256", "moe_gemm_wgmma.cu", MoeGemmArgs.class),
      kernel("bf16_mxfp4w_moe_gemm_wgmma_n256_m192", "moe_gemm_wgmma.cu", MoeGemmArgs.class),
      kernel("bf16_mxfp4w_moe_gemm_wgmma_n256_rd3", "moe_gemm_wgmma.cu", MoeGemmArgs.class),
      kernel("bf16_mxfp4w_moe_gemm_wgmma_n256_sb", "moe_gemm_wgmma.cu", MoeGemmArgs.class),
      // Hopper swap-AB expert gemm, fast mode (sm_90a; a trapping body elsewhere): checked by moe_check.cu
      kernel("bf16_mxfp4w_moe_gemm_swap", "moe_gemm_swap.cu", MoeGemmArgs.class),
      kernel("bf16_mxfp4w_moe_gemm_swap_cw3", "moe_gemm_swap.cu", MoeGemmArgs.class),
      // the expert products of large steps through cuBLAS (DenseExperts)
      kernel("mxfp4_dequant", "moe_dense.cu", Mxfp4DequantArgs.class),
      kernel("moe_gather_rows", "moe_dense.cu", MoeRowsArgs.class),
      kernel("moe_swiglu_rows", "moe_dense.cu", MoeRowsArgs.class),
      kernel("moe_scatter_rows", "moe_dense.cu", MoeRowsArgs.class),
      kernel("sample_rows", "sampling.cu", SampleArgs.class),
      kernel("synthetic_fill", "synthetic.cu", FillArgs.class));

  /** Every kernel by name (tests). */
  static Map<String, Kernel> kernels() {
    return KERNELS;
  }

  private final KernelCompiler compiler;
  private final Map<String, CUmod_st> modules = new HashMap<>();
  private final Map<String, CUfunc_st> functions = new HashMap<>();
  private final CUstream_st stream;
  private final KernelArgs args = new KernelArgs();
  long launches;

  /** The reusable launch description when launches are programmatic, else null; it points at {@link #attribute}. */
  private final CUlaunchConfig config;
  private final CUlaunchAttribute attribute;

  Kernels(KernelCompiler compiler, CUstream_st stream, boolean programmaticLaunch) {
    this.compiler = compiler;
    this.stream = stream;
    if (programmaticLaunch) {
      CUlaunchAttributeValue allowed = new CUlaunchAttributeValue();
      allowed.programmaticStreamSerializationAllowed(1);
      attribute = new CUlaunchAttribute(1);
      attribute.id(CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION).value(allowed);
      config = new CUlaunchConfig().hStream(stream).attrs(attribute).numAttrs(1).blockDimY(1).blockDimZ(1);
    } else {
      attribute = null;
      config = null;
    }
    // the argument records against the structs as this compiler lays them out, before any launch
    KernelLayout.verify(module(KernelLayout.SOURCE));
    for (String fn : KERNELS.keySet()) function(fn); // compile (or load from cache) everything up front
  }

  private CUfunc_st function(String name) {
    CUfunc_st f = functions.get(name);
    if (f != null) return f;
    Kernel kernel = KERNELS.get(name);
    if (kernel == null) throw new CudaException("no kernel named " + name);
    f = new CUfunc_st();
    checkDrv(cuModuleGetFunction(f, module(kernel.source()), name), "cuModuleGetFunction(" + name + ")");
    functions.put(name, f);
    return f;
  }

  /** The module of {@code source}, compiled (or from the cache) and loaded once. */
  private CUmod_st module(String source) {
    CUmod_st mod = modules.get(source);
    if (mod == null) {
      byte[] cubin = compiler.cubin(source);
      mod = new CUmod_st();
      Cuda.trace("cuModuleLoadData " + source);
      checkDrv(cuModuleLoadData(mod, new BytePointer(cubin)), "cuModuleLoadData(" + source + ", " + compiler.arch() + ")");
      modules.put(source, mod);
    }
    return mod;
  }

  /** Allows {@code name} up to {@code bytes} of dynamic shared memory (beyond the default 48 KiB). */
  void allowSharedMemory(String name, int bytes) {
    checkDrv(cuFuncSetAttribute(function(name), CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
        "cuFuncSetAttribute(" + name + ", max dynamic shared memory " + bytes + ")");
  }

  /** Launches {@code name} with {@code a}, which must be the kernel's argument struct. */
  void launch(String name, KernelStruct a, int gridX, int gridY, int block) {
    launch(name, a, gridX, gridY, block, 0);
  }

  void launch(String name, KernelStruct a, int gridX, int gridY, int block, int sharedBytes) {
    launch(name, a, gridX, gridY, 1, block, sharedBytes);
  }

  void launch(String name, KernelStruct a, int gridX, int gridY, int gridZ, int block, int sharedBytes) {
    Kernel kernel = KERNELS.get(name);
    if (kernel != null && kernel.args() != a.getClass()) {
      throw new CudaException("kernel " + name + " takes " + kernel.args().getSimpleName() + ", given " + a.getClass().getSimpleName());
    }
    if (gridX <= 0 || gridY <= 0 || gridZ <= 0) return;
    a.pack(args.reset());
    if (config != null) {
      config.gridDimX(gridX).gridDimY(gridY).gridDimZ(gridZ).blockDimX(block).sharedMemBytes(sharedBytes);
      checkDrv(cuLaunchKernelEx(config, function(name), args.params(), (PointerPointer) null),
          "cuLaunchKernelEx(" + name + ", grid " + gridX + "x" + gridY + "x" + gridZ + ", programmatic)");
    } else {
      checkDrv(cuLaunchKernel(function(name), gridX, gridY, gridZ, block, 1, 1, sharedBytes, stream, args.params(), null),
          "cuLaunchKernel(" + name + ", grid " + gridX + "x" + gridY + "x" + gridZ + ")");
    }
    launches++;
  }

  /** Unloads the modules (their code and globals are device memory: a reopened backend must not leak it). */
  @Override
  public void close() {
    for (CUmod_st mod : modules.values()) cuModuleUnload(mod);
    modules.clear();
    functions.clear();
  }
}
