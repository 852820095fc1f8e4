package ai.gptoss.backend.cuda;

import ai.gptoss.backend.BackendException;
import java.util.Locale;

/**
 * When a dense bf16 projection (qkv, attention output, router, LM head) runs {@code bf16_gemv}
 * (gemv_bf16.cu: one warp per output feature streaming its weight row) instead of cuBLAS.
 *
 * <p>gemv_check.cu on an H100 (2026-11-27 01:50Z, L2 flushed before each call, microseconds,
 * bf16_gemv / cuBLAS GemmEx as CudaBackend calls it; precise = the low part too, which cuBLAS takes
 * as a second product):
 * <pre>
 *   one row            fast           precise
 *   router  32x2880    10.0 / 8.2     10.4 / 15.0
 *   o     2880x4096    24.0 / 18.0    25.0 / 28.8
 *   qkv   5120x2880    23.5 / 18.8    24.4 / 32.2
 *   lm_head 201088x2880 382 / 419     383 / 827
 *   four rows: cuBLAS is faster everywhere but lm_head precise (665 / 839)
 * </pre>
 * In the decode step, though (single stream, fast, programmatic launch, same H100, 02:15Z), cuBLAS for
 * every product gave 2.96 ms per step, this kernel for the LM head 3.06 and for every product 3.29;
 * so {@link Mode#AUTO} takes it only for one-row products in the precise modes, where it replaces
 * cuBLAS's two products (hi, lo) with one pass.
 * {@code GPTOSS_CUDA_GEMV=off} keeps cuBLAS for every product, {@code all} takes the kernel for every
 * product of at most {@link #MAX_ROWS} rows (A/B runs), {@code tc} its tensor-core twin {@code bf16_gemv_tc}
 * (same file, same arguments and launch shape; a few instructions per 16 bytes of weights instead of ~30, so
 * bound by memory rather than by issue; gemv_check.cu times it against both) for every such product in fast
 * mode, the precise modes keeping what {@link Mode#AUTO} gives them (the tensor cores sum bf16 products a little
 * below float32, so no precise product moves there).
 */
final class SmallGemv {
  static final String KERNEL = "bf16_gemv";
  static final String TC_KERNEL = "bf16_gemv_tc";
  /** GB_MAX_ROWS in gemv_bf16.cu. */
  static final int MAX_ROWS = 4;
  /** Output features per block (8 warps, one feature each; bf16_gemv_tc: GT_FEAT, the mma's n). */
  static final int FEATURES_PER_BLOCK = 8;

  enum Mode { AUTO, ALL, OFF, TC }

  private SmallGemv() {}

  /** GPTOSS_CUDA_GEMV: unset or "auto"; "all"; "tc"; "off" (also "0", "cublas"). */
  static Mode mode(String env) {
    if (env == null || env.isBlank()) return Mode.AUTO;
    return switch (env.trim().toLowerCase(Locale.ROOT)) {
      case "auto" -> Mode.AUTO;
      case "all" -> Mode.ALL;
      case "tc" -> Mode.TC;
      case "off", "0", "cublas" -> Mode.OFF;
      default -> throw new BackendException("GPTOSS_CUDA_GEMV=" + env + ": expected auto (default), all, tc, or off (cuBLAS)");
    };
  }

  /**
   * Whether a product of {@code rows} rows and inner dimension {@code k} runs the kernel; it needs
   * whole 16-byte loads of a weight row (k a multiple of 8).
   */
  static boolean applies(Mode mode, int rows, int k, boolean precise) {
    if (mode == Mode.OFF || rows < 1 || rows > MAX_ROWS || k % 8 != 0) return false;
    return mode == Mode.ALL || (mode == Mode.TC && !precise) || (rows == 1 && precise);
  }

  /** The kernel a product that {@link #applies} runs: the tensor-core twin for fast products under {@link Mode#TC}. */
  static String kernel(Mode mode, boolean precise) {
    return mode == Mode.TC && !precise ? TC_KERNEL : KERNEL;
  }

  static int blocks(int n) {
    return (n + FEATURES_PER_BLOCK - 1) / FEATURES_PER_BLOCK;
  }
}
