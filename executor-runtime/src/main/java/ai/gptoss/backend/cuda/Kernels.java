package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.checkDrv;
import static org.bytedeco.cuda.global.cudart.*;

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
  /** Kernel source of each function. */
  private static final Map<String, String> SOURCE = Map.ofEntries(
      Map.entry("embedding_gather", "embedding.cu"),
      Map.entry("bf16_gemv", "gemv_bf16.cu"),
      Map.entry("residual_rmsnorm", "rmsnorm.cu"),
      Map.entry("qkv_rope_store", "rope.cu"),
      Map.entry("attention_prefill", "attention.cu"),
      Map.entry("attention_decode", "attention.cu"),
      Map.entry("attention_mma", "attention_mma.cu"),
      Map.entry("attention_combine", "attention_mma.cu"),
      Map.entry("moe_topk", "moe_route.cu"),
      Map.entry("moe_group", "moe_route.cu"),
      Map.entry("moe_scatter", "moe_route.cu"),
      Map.entry("moe_route_small", "moe_route.cu"),
      Map.entry("bf16_mxfp4w_moe_gemm", "moe_gemm.cu"),
      Map.entry("bf16_mxfp4w_moe_gemv", "moe_gemv.cu"),
      Map.entry("bf16_mxfp4w_moe_gemv_r4", "moe_gemv.cu"),
      Map.entry("bf16_mxfp4w_moe_gemv_r2", "moe_gemv.cu"),
      Map.entry("bf16_mxfp4w_moe_gemv_r1", "moe_gemv.cu"),
      // tensor-core gemv for 1-8 rows per tile: checked by moe_check.cu
      Map.entry("bf16_mxfp4w_moe_gemv_tc", "moe_gemv_tc.cu"),
      // Hopper wgmma expert gemm (sm_90a; an empty trapping body elsewhere): checked by moe_check.cu
      Map.entry("bf16_mxfp4w_moe_gemm_wgmma", "moe_gemm_wgmma.cu"),
      // the expert products of large steps through cuBLAS (DenseExperts)
      Map.entry("mxfp4_dequant", "moe_dense.cu"),
      Map.entry("moe_gather_rows", "moe_dense.cu"),
      Map.entry("moe_swiglu_rows", "moe_dense.cu"),
      Map.entry("moe_scatter_rows", "moe_dense.cu"),
      Map.entry("sample_rows", "sampling.cu"),
      Map.entry("synthetic_fill", "synthetic.cu"));

  private final KernelCompiler compiler;
  private final Map<String, CUmod_st> modules = new HashMap<>();
  private final Map<String, CUfunc_st> functions = new HashMap<>();
  private final CUstream_st stream;
  final KernelArgs args = new KernelArgs();
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
    for (String fn : SOURCE.keySet()) function(fn); // compile (or load from cache) everything up front
  }

  private CUfunc_st function(String name) {
    CUfunc_st f = functions.get(name);
    if (f != null) return f;
    String source = SOURCE.get(name);
    if (source == null) throw new CudaException("no kernel named " + name);
    CUmod_st mod = modules.get(source);
    if (mod == null) {
      byte[] cubin = compiler.cubin(source);
      mod = new CUmod_st();
      Cuda.trace("cuModuleLoadData " + source);
      checkDrv(cuModuleLoadData(mod, new BytePointer(cubin)), "cuModuleLoadData(" + source + ", " + compiler.arch() + ")");
      modules.put(source, mod);
    }
    f = new CUfunc_st();
    checkDrv(cuModuleGetFunction(f, mod, name), "cuModuleGetFunction(" + name + ")");
    functions.put(name, f);
    return f;
  }

  /** Allows {@code name} up to {@code bytes} of dynamic shared memory (beyond the default 48 KiB). */
  void allowSharedMemory(String name, int bytes) {
    checkDrv(cuFuncSetAttribute(function(name), CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
        "cuFuncSetAttribute(" + name + ", max dynamic shared memory " + bytes + ")");
  }

  /** Launches {@code name} with the struct packed in {@link #args}. */
  void launch(String name, int gridX, int gridY, int block) {
    launch(name, gridX, gridY, block, 0);
  }

  void launch(String name, int gridX, int gridY, int block, int sharedBytes) {
    launch(name, gridX, gridY, 1, block, sharedBytes);
  }

  void launch(String name, int gridX, int gridY, int gridZ, int block, int sharedBytes) {
    if (gridX <= 0 || gridY <= 0 || gridZ <= 0) return;
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
