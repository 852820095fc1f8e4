package ai.gptoss.backend.cuda;

/**
 * How one step runs its two expert products (gate_up with SwiGLU, then down): which kernel, the
 * rows per tile that {@code moe_group} cuts, and the launch shape. Everything here follows from
 * the step's shape (tokens, top-k, experts) and never from device data, so a step's launches can
 * be captured once per shape and replayed.
 *
 * <ul>
 *   <li>{@code bf16_mxfp4w_moe_gemv} (moe_gemv.cu): tiles of at most {@link #GEMV_ROWS} rows, 32
 *       features per block, CUDA-core FMAs; streams the chosen experts' weights, one read per tile.
 *   <li>{@code bf16_mxfp4w_moe_gemm} (moe_gemm.cu): tiles of {@link #GEMM_ROWS} rows, 128 features
 *       per block, tensor cores; each expert's weights read and unpacked once per 128 rows.
 * </ul>
 *
 * <p>The gemv runs when the step has at most {@link #GEMV_MAX_ASSIGNMENTS} (token, expert) rows;
 * see the comment on that constant for where the number comes from. {@code GPTOSS_CUDA_MOE=gemm}
 * or {@code =gemv} forces one kernel for every step (conformance runs of each path; both kernels
 * compute the same sums, in a different order).
 */
record ExpertGemmPlan(String kernel, int tileM, int maxTiles, int sharedBytes) {
  static final String GEMM = "bf16_mxfp4w_moe_gemm";
  static final String GEMV = "bf16_mxfp4w_moe_gemv";
  /** BM in moe_gemm.cu. */
  static final int GEMM_ROWS = 128;
  /** GV_ROWS in moe_gemv.cu. */
  static final int GEMV_ROWS = 8;
  /** Output features per block: BN in moe_gemm.cu, GV_FB in moe_gemv.cu. */
  static final int GEMM_FEATURES = 128, GEMV_FEATURES = 32;
  /**
   * Largest T * topK that takes the gemv: 128 rows (32 tokens at top-4). Measured with moe_check.cu
   * on an H100 (gpt-oss-20b shapes, both products per layer, fast): T=32 gemv 630 us vs gemm 803 us
   * (3 stages); T=64 gemv 1,030 us vs gemm 811 us.
   */
  static final int GEMV_MAX_ASSIGNMENTS = 128;

  /**
   * Dynamic shared memory of the gemm (MOE_GEMM_SMEM in moe_gemm.cu): 3 stages of A [128][72] bf16
   * (twice with the low part), nibbles [128][48] and scales [2][128], plus two unpacked [128][72] bf16 tiles.
   */
  static int gemmSharedBytes(boolean precise) {
    return 3 * ((precise ? 2 : 1) * GEMM_ROWS * 72 * 2 + 128 * 48 + 2 * 128) + 2 * 128 * 72 * 2;
  }

  /** MOE_GEMV_SMEM_R in moe_gemv.cu: the scales [K/32][32] (padded to 16 bytes), then A as float [rows][K/32][36]. */
  static int gemvSharedBytes(int k, int rows) {
    return rows * (k / 32) * 36 * 4 + (((k / 32) * GEMV_FEATURES + 15) & ~15);
  }

  /**
   * Rows a gemv tile can hold in a step of {@code tokens} tokens: at most min(GEMV_ROWS, tokens),
   * since a token picks an expert once; rounded up to the variants compiled (1, 2, 4, 8).
   */
  static int gemvRows(int tokens) {
    return tokens <= 1 ? 1 : tokens <= 2 ? 2 : tokens <= 4 ? 4 : GEMV_ROWS;
  }

  /** The gemv variant for tiles of at most {@code rows} rows (moe_gemv.cu). */
  static String gemvKernel(int rows) {
    return rows == GEMV_ROWS ? GEMV : GEMV + "_r" + rows;
  }

  /**
   * An upper bound of the tiles {@code moe_group} cuts from {@code tokens * topK} rows spread over
   * {@code experts} experts, {@code tileM} rows each: sum over experts of ceil(count / tileM) is at
   * most rows / tileM rounded up plus one partial tile per non-empty expert.
   */
  static int maxTiles(int tokens, int topK, int experts, int tileM) {
    int rows = tokens * topK;
    return (rows + tileM - 1) / tileM + Math.min(experts, rows);
  }

  /** The most tiles of either kernel (the size of the workspace's tile list). */
  static int maxTilesAnyKernel(int tokens, int topK, int experts) {
    return Math.max(maxTiles(tokens, topK, experts, GEMV_ROWS), maxTiles(tokens, topK, experts, GEMM_ROWS));
  }

  /** GPTOSS_CUDA_MOE: "gemm", "gemv", or unset / "auto" for the choice by row count. */
  static String forcedKernel(String env) {
    if (env == null || env.isBlank()) return null;
    return switch (env.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "auto" -> null;
      case "gemm" -> GEMM;
      case "gemv" -> GEMV;
      default -> throw new ai.gptoss.backend.BackendException("GPTOSS_CUDA_MOE=" + env + ": expected auto (default), gemm or gemv");
    };
  }

  /** The plan of a step of {@code tokens} tokens; {@code hidden} and {@code intermediate} are the K of the two products. */
  static ExpertGemmPlan of(int tokens, int topK, int experts, int hidden, int intermediate, boolean precise) {
    return of(tokens, topK, experts, hidden, intermediate, precise, null);
  }

  /** As above; {@code forced} (GEMM or GEMV) overrides the choice by row count when not null. */
  static ExpertGemmPlan of(int tokens, int topK, int experts, int hidden, int intermediate, boolean precise, String forced) {
    boolean gemv = forced != null ? forced.equals(GEMV) : tokens * topK <= GEMV_MAX_ASSIGNMENTS;
    if (gemv) {
      int k = Math.max(hidden, intermediate), rows = gemvRows(tokens);
      return new ExpertGemmPlan(gemvKernel(rows), GEMV_ROWS, maxTiles(tokens, topK, experts, GEMV_ROWS), gemvSharedBytes(k, rows));
    }
    return new ExpertGemmPlan(GEMM, GEMM_ROWS, maxTiles(tokens, topK, experts, GEMM_ROWS), gemmSharedBytes(precise));
  }

  /** Blocks along y for {@code n} output features. */
  int featureBlocks(int n) {
    int f = kernel.startsWith(GEMV) ? GEMV_FEATURES : GEMM_FEATURES;
    return (n + f - 1) / f;
  }
}
