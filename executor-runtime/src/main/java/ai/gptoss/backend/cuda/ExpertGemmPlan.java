package ai.gptoss.backend.cuda;

/**
 * How one step runs its two expert products (gate_up with SwiGLU, then down): which kernel, the
 * rows per tile that {@code moe_group} cuts, and the launch shape. Everything here follows from
 * the step's shape (tokens, top-k, experts), the precision and the GPU generation, never from
 * device data, so a step's launches can be captured once per shape and replayed.
 *
 * <ul>
 *   <li>{@code bf16_mxfp4w_moe_gemv} (moe_gemv.cu): tiles of at most {@link #GEMV_ROWS} rows, 32
 *       features per block, CUDA-core FMAs; streams the chosen experts' weights, one read per tile.
 *   <li>{@code bf16_mxfp4w_moe_gemv_tc} (moe_gemv_tc.cu): the same tiles on the tensor cores (the
 *       weights as the mma's A operand, the tile's rows as B), 64 features per block.
 *   <li>{@code bf16_mxfp4w_moe_gemm} (moe_gemm.cu): tiles of {@link #GEMM_ROWS} rows, 128 features
 *       per block, mma.sync; each expert's weights read and unpacked once per 128 rows.
 *   <li>{@code bf16_mxfp4w_moe_gemm_wgmma} (moe_gemm_wgmma.cu, Hopper only): the same tiles with a
 *       producer warpgroup unpacking for two consumer warpgroups of wgmma, 384 threads.
 *   <li>{@code bf16_mxfp4w_moe_gemm_wgmma_n256} (the same source, fast mode only): that kernel with 256 features per
 *       block, so each tile's rows are read once per 256 output features instead of 128 (the shared memory of the
 *       precise variant would not fit). Taken for fast steps on Hopper whose experts average at least
 *       {@link #WIDE_MIN_ROWS_PER_EXPERT} rows ({@link #wideFits}); {@code GPTOSS_CUDA_MOE_WIDE=off} keeps mma.sync there.
 *       Its variants for A/B runs: GPTOSS_CUDA_MOE_WIDE=m192|rd3|sb ({@link #wideKernel}).
 *   <li>{@code bf16_mxfp4w_moe_gemm_swap} (moe_gemm_swap.cu, Hopper, fast mode only): tiles of up to
 *       {@link #SWAP_ROWS} rows (almost every expert of a decode step at batch 1,024 in one tile, so its
 *       weights are read and unpacked once), the weights as wgmma's register operand, unpacked by the
 *       thread that multiplies them, the rows as its shared-memory operand in chunks of 32; two consumer
 *       warpgroups and two producer warps, {@link #SWAP_FEATURES} features per block. Taken for fast
 *       steps in the fused range on Hopper when {@code GPTOSS_CUDA_MOE_SWAP=on} ({@link #swapEnabled}).
 *   <li>{@code bf16_mxfp4w_moe_gemm_swap_cw3} (the same source, fast only): three consumer warpgroups, tiles of
 *       {@link #SWAP_MID_ROWS} rows, {@link #SWAP_MID_FEATURES} features per block; fast fused steps on Hopper below
 *       the wide range with {@code GPTOSS_CUDA_MOE_SWAP=mid} (moe_check, 128 tokens: 557 against mma.sync's 648 us).
 *   <li>{@code bf16_mxfp4w_moe_gemv_split} (moe_gemv_split.cu): the gemv's tiles, 16 features per block, K split over
 *       {@link #SPLIT_THREADS} / 32 warps (cp.async of all their weights, tensor cores, the scale on each block's
 *       partial sum); fast steps of at most {@link #SPLIT_MAX_TOKENS} tokens with {@code GPTOSS_CUDA_MOE_SPLIT=on}.
 *   <li>{@link #DENSE} (moe_dense.cu, {@link DenseExperts}): steps of at least {@link #DENSE_MIN_TOKENS}
 *       tokens unpack each product's weights to bf16 once and run one cuBLAS GEMM per expert.
 * </ul>
 *
 * <p>The choice, from moe_check.cu on an H100 (2026-11-26 23:15Z, gpt-oss-20b shapes, both products
 * per layer, microseconds, fast / precise):
 * <pre>
 *   tokens        1            2           8            32           64           512           1,024
 *   gemv          53.3/53.7    83.8/84.4   290/299      610/612      1,019/1,021
 *   gemv_tc       53.6/57.0    76.4/81.3   186/203      253/325      352/446
 *   gemm                                   497/939      638/1,190    643/1,191    810/1,542     1,219/2,320
 *   gemm_wgmma                             735/923      950/1,172    978/1,194    1,058/1,303   1,586/1,960
 * </pre>
 * and per product at one token in fast mode (2026-11-27 02:00Z, L2 evicted by reads, so that no dirty
 * lines are written back during the kernel: MOE_CHECK_FLUSH=read; two rounds alike):
 * <pre>
 *              gate_up   down    (us)
 *   gemv       31.0      18.0
 *   gemv_tc    27.9      19.8
 * </pre>
 * so: one token, the tensor-core gemv for gate_up and the CUDA-core gemv for down in fast mode, the
 * CUDA-core gemv for both in precise mode; up to {@link #GEMV_MAX_ASSIGNMENTS} rows, the tensor-core
 * gemv; above, mma.sync in fast mode and, on Hopper, wgmma in precise mode (two products per k
 * slice against one unpack). {@code GPTOSS_CUDA_MOE=gemm|gemv|gemv_tc|gemv_split|wgmma|wgmma_n256|wgmma_n256_sb|swap|dense} forces one kernel
 * for every step (conformance runs of each path; all compute the same sums, in other orders).
 */
record ExpertGemmPlan(String kernel, int tileM, int maxTiles, int features, int threads, int sharedBytes,
    ExpertGemmPlan down) {
  static final String GEMM = "bf16_mxfp4w_moe_gemm";
  static final String WGMMA = "bf16_mxfp4w_moe_gemm_wgmma";
  static final String WGMMA_N256 = "bf16_mxfp4w_moe_gemm_wgmma_n256";
  /** {@link #WGMMA_N256} on 192-row tiles, 512 threads: GPTOSS_CUDA_MOE_WIDE=m192 or GPTOSS_CUDA_MOE=wgmma_n256_m192. */
  static final String WGMMA_N256_M192 = "bf16_mxfp4w_moe_gemm_wgmma_n256_m192";
  /** {@link #WGMMA_N256} as it was until 2026-12-07, loading 3 steps ahead: GPTOSS_CUDA_MOE_WIDE=rd3 (A/B runs). */
  static final String WGMMA_N256_RD3 = "bf16_mxfp4w_moe_gemm_wgmma_n256_rd3";
  /** {@link #WGMMA_N256} with the tile's biases staged in shared memory for the epilogue: GPTOSS_CUDA_MOE_WIDE=sb (A/B runs). */
  static final String WGMMA_N256_SB = "bf16_mxfp4w_moe_gemm_wgmma_n256_sb";
  /** {@link #WGMMA_N256} and its variants: fast only, Hopper only ({@link #hopperFastSharedBytes}). */
  static final java.util.List<String> WIDE_KERNELS = java.util.List.of(WGMMA_N256, WGMMA_N256_M192, WGMMA_N256_RD3, WGMMA_N256_SB);
  static final String GEMV = "bf16_mxfp4w_moe_gemv";
  static final String GEMV_TC = "bf16_mxfp4w_moe_gemv_tc";
  static final String SWAP = "bf16_mxfp4w_moe_gemm_swap";
  static final String SWAP_MID = "bf16_mxfp4w_moe_gemm_swap_cw3";
  static final String GEMV_SPLIT = "bf16_mxfp4w_moe_gemv_split";
  /** Not a kernel: {@link DenseExperts}. */
  static final String DENSE = "dense";
  /** Fewest tokens of a step that takes {@link #DENSE}: its unpack and gather cost ~0.8 ms per layer (gpt-oss-20b) whatever the step. */
  static final int DENSE_MIN_TOKENS = 4096;
  /** BM in moe_gemm.cu, WG_BM in moe_gemm_wgmma.cu. */
  static final int GEMM_ROWS = 128;
  /** GV_ROWS in moe_gemv.cu, TC_ROWS in moe_gemv_tc.cu. */
  static final int GEMV_ROWS = 8;
  /** Output features per block: BN in moe_gemm.cu (and the wgmma's), GV_FB in moe_gemv.cu, TC_FB in moe_gemv_tc.cu. */
  static final int GEMM_FEATURES = 128, GEMV_FEATURES = 32, GEMV_TC_FEATURES = 64;
  /** Output features per block of {@link #WGMMA_N256}. */
  static final int WIDE_FEATURES = 256;
  /** {@link #WGMMA_N256_M192}: rows per tile, threads (one producer and three consumer warpgroups). */
  static final int WIDE_M192_ROWS = 192, WIDE_M192_THREADS = 512;
  /**
   * Fewest rows per expert, on average over the step (tokens * topK / experts), that take {@link #WGMMA_N256} in fast
   * mode on Hopper: equal to mma.sync at 32 (256 tokens of gpt-oss-20b), 1.09x at 64, 1.12-1.18x from 128 (table above).
   */
  static final int WIDE_MIN_ROWS_PER_EXPERT = 64;
  /**
   * GPTOSS_CUDA_MOE_TAILS=on: in a wide step, an expert's last tile of at most this many rows goes to the tensor-core
   * gemv ({@link #tails}) instead of a whole wide tile (at decode-1024 a third of the wide tiles carry 2.6% of the rows).
   */
  static final int TAIL_ROWS = 32;
  /** Threads per block: the wgmma's one producer and two consumer warpgroups; 256 for the others. */
  static final int WGMMA_THREADS = 384, THREADS = 256;
  /** GS_FEAT in moe_gemv_split.cu: features per block (the mma's 16 rows). */
  static final int SPLIT_FEATURES = 16;
  /** 32 * GS_WARPS in moe_gemv_split.cu: warps that split K. */
  static final int SPLIT_THREADS = 128;
  /** Most tokens of a step that takes the K-split gemv when it is on (one tile per expert: tiles of 8 rows). */
  static final int SPLIT_MAX_TOKENS = 8;
  /** SW_RMAX in moe_gemm_swap.cu: rows per tile. */
  static final int SWAP_ROWS = 192;
  /** 64 * SW_CW in moe_gemm_swap.cu: features per block (two consumer warpgroups). */
  static final int SWAP_FEATURES = 128;
  /** MOE_SWAP_THREADS in moe_gemm_swap.cu: two consumer warpgroups and SW_PW = 2 producer warps. */
  static final int SWAP_THREADS = 2 * 128 + 2 * 32;
  /** {@link #SWAP_MID}: rows per tile (4 chunks of 32), features per block (three consumer warpgroups), threads (two producer warps). */
  static final int SWAP_MID_ROWS = 128, SWAP_MID_FEATURES = 192, SWAP_MID_THREADS = 3 * 128 + 2 * 32;
  /** Largest T * topK that takes a gemv: 256 rows (64 tokens at top-4; tensor-core gemv 352 us against gemm 643 at T=64). */
  static final int GEMV_MAX_ASSIGNMENTS = 256;

  /**
   * MOE_GEMM_SMEM in moe_gemm.cu: 3 stages of A [128][72] bf16 (twice with the low part), nibbles [128][48] and scales
   * [2][128], plus two unpacked [128][72] bf16 tiles.
   */
  static int gemmSharedBytes(boolean precise) {
    return 3 * ((precise ? 2 : 1) * GEMM_ROWS * 72 * 2 + 128 * 48 + 2 * 128) + 2 * 128 * 72 * 2;
  }

  /** MOE_WGMMA_SMEM in moe_gemm_wgmma.cu: 4 load slots of A [128][128 B] (twice with the low part), nibbles, scales; two unpacked tiles. */
  static int wgmmaSharedBytes(boolean precise) {
    return wgmmaSharedBytes(precise, GEMM_ROWS, GEMM_FEATURES);
  }

  /** MOE_WGMMA_SMEM_CW(features, 4, rows / 64, precise) in moe_gemm_wgmma.cu: as above, {@code rows} x {@code features} tiles. */
  static int wgmmaSharedBytes(boolean precise, int rows, int features) {
    return 4 * ((precise ? 2 : 1) * rows * 128 + features * 32 + 2 * features) + 2 * features * 128 + 1024;
  }

  /** Dynamic shared memory of a fast-only Hopper kernel: one of {@link #WIDE_KERNELS}, {@link #SWAP} or {@link #SWAP_MID}. */
  static int hopperFastSharedBytes(String kernel) {
    return switch (kernel) {
      case WGMMA_N256, WGMMA_N256_RD3, WGMMA_N256_SB -> wgmmaSharedBytes(false, GEMM_ROWS, WIDE_FEATURES);
      case WGMMA_N256_M192 -> wgmmaSharedBytes(false, WIDE_M192_ROWS, WIDE_FEATURES);
      case SWAP -> swapSharedBytes(SWAP_ROWS, SWAP_FEATURES);
      case SWAP_MID -> swapSharedBytes(SWAP_MID_ROWS, SWAP_MID_FEATURES);
      default -> throw new IllegalArgumentException(kernel + " is not a fast-only Hopper expert kernel");
    };
  }

  /** Whether a fast step on Hopper takes {@link #WGMMA_N256}: experts averaging {@link #WIDE_MIN_ROWS_PER_EXPERT} rows. */
  static boolean wideFits(int tokens, int topK, int experts) {
    return (long) tokens * topK >= (long) WIDE_MIN_ROWS_PER_EXPERT * experts;
  }

  /**
   * MOE_SWAP_SMEM_T(rows, features, 4) in moe_gemm_swap.cu: 4 ring slots of the rows [rows][128 B], nibbles
   * [features][32 B] and scales [2][features], plus 1,024 for aligning the base to the 128-byte swizzle's atom.
   */
  static int swapSharedBytes(int rows, int features) {
    return 4 * (rows * 128 + features * 32 + 2 * features) + 1024;
  }

  /** Whether the swap-AB kernel serves these product shapes: every N (hidden, 2 * intermediate) a multiple of 64. */
  static boolean swapFits(int hidden, int intermediate) {
    return hidden % 64 == 0 && (2 * intermediate) % 64 == 0;
  }

  /** MOE_GEMV_SMEM_R in moe_gemv.cu: the scales [K/32][32] (padded to 16 bytes), then A as float [rows][K/32][36]. */
  static int gemvSharedBytes(int k, int rows) {
    return rows * (k / 32) * 36 * 4 + (((k / 32) * GEMV_FEATURES + 15) & ~15);
  }

  /** MOE_GEMV_TC_SMEM in moe_gemv_tc.cu: the tile's rows as bf16 (hi, and lo when precise), TC_UNITS(K) 16-byte units each. */
  static int gemvTcSharedBytes(int k, int rows, boolean precise) {
    int units = (k / 8 + (k / 8 + 7) / 8 + 5) / 8 * 8 + 2;
    return (precise ? 2 : 1) * rows * units * 16;
  }

  /**
   * MOE_GEMV_SPLIT_SMEM in moe_gemv_split.cu: per warp (GS_WARPS = 4), its share of K's 32-value blocks
   * (nbw, with an odd stride S of at least 3), as 16 features' weights (S * 256 bytes), their scales (nbw * 16)
   * and the tile's rows (hi, and lo when precise: S * 64 bytes each).
   */
  static int gemvSplitSharedBytes(int k, int rows, boolean precise) {
    int warps = SPLIT_THREADS / 32, nbw = (k / 32 + warps - 1) / warps, stride = Math.max(nbw | 1, 3);
    return warps * (stride * 256 + nbw * 16 + (precise ? 2 : 1) * rows * stride * 64);
  }

  /**
   * Rows a gemv tile can hold in a step of {@code tokens} tokens: at most min(GEMV_ROWS, tokens),
   * since a token picks an expert once; rounded up to the variants compiled (1, 2, 4, 8).
   */
  static int gemvRows(int tokens) {
    return tokens <= 1 ? 1 : tokens <= 2 ? 2 : tokens <= 4 ? 4 : GEMV_ROWS;
  }

  /** The CUDA-core gemv variant for tiles of at most {@code rows} rows (moe_gemv.cu). */
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

  /** The size of the tail list ({@link #tails}): every expert's last part, in tiles of {@link #GEMV_ROWS} rows. */
  static int maxTailTiles(int experts) {
    return experts * ((TAIL_ROWS + GEMV_ROWS - 1) / GEMV_ROWS);
  }

  /**
   * GPTOSS_CUDA_MOE_TAILS=on ({@code on}): the launch of the tensor-core gemv, both products, on the tail list that
   * moe_group cuts (its tailRows) from a step planned as {@code plan}: an expert whose last 128-row tile would hold 1..{@link
   * #TAIL_ROWS} rows keeps only its whole tiles for the wide kernel and gives that part to the gemv in tiles of {@link
   * #GEMV_ROWS}. Null when off or when the step's kernel is not a wide one on 128-row tiles (fast mode on Hopper only).
   */
  static ExpertGemmPlan tails(ExpertGemmPlan plan, int experts, int hidden, int intermediate, boolean on) {
    if (!on || !WIDE_KERNELS.contains(plan.kernel()) || plan.tileM() != GEMM_ROWS) return null;
    return new ExpertGemmPlan(GEMV_TC, GEMV_ROWS, maxTailTiles(experts), GEMV_TC_FEATURES, THREADS,
        gemvTcSharedBytes(Math.max(hidden, intermediate), GEMV_ROWS, false));
  }

  /** GPTOSS_CUDA_MOE_TAILS: on / 1 / true, or off / 0 / false / auto / unset (the default: not yet measured in the engine). */
  static boolean tailsEnabled(String env) {
    return onOff("GPTOSS_CUDA_MOE_TAILS", env);
  }

  /** The most tiles of any kernel (the size of the workspace's tile list): the smallest tiles give the most. */
  static int maxTilesAnyKernel(int tokens, int topK, int experts) {
    return Math.max(maxTiles(tokens, topK, experts, GEMV_ROWS),
        Math.max(maxTiles(tokens, topK, experts, GEMM_ROWS), maxTiles(tokens, topK, experts, SWAP_ROWS)));
    // SWAP_MID_ROWS = GEMM_ROWS: its tiles are the gemm's
  }

  /** GPTOSS_CUDA_MOE: "gemm", "wgmma", "gemv", "gemv_tc", "gemv_split", "swap", "dense", or unset / "auto" for the choice by shape. */
  static String forcedKernel(String env) {
    if (env == null || env.isBlank()) return null;
    return switch (env.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "auto" -> null;
      case "gemm" -> GEMM;
      case "wgmma" -> WGMMA;
      case "wgmma_n256" -> WGMMA_N256;
      case "wgmma_n256_m192" -> WGMMA_N256_M192;
      case "wgmma_n256_sb" -> WGMMA_N256_SB;
      case "gemv" -> GEMV;
      case "gemv_tc" -> GEMV_TC;
      case "gemv_split" -> GEMV_SPLIT;
      case "swap" -> SWAP;
      case "swap_cw3" -> SWAP_MID;
      case "dense" -> DENSE;
      default -> throw new ai.gptoss.backend.BackendException(
          "GPTOSS_CUDA_MOE=" + env + ": expected auto (default), gemm, wgmma, wgmma_n256, wgmma_n256_m192, wgmma_n256_sb, gemv, gemv_tc, gemv_split, swap, swap_cw3 or dense");
    };
  }

  /**
   * GPTOSS_CUDA_MOE_SWAP: whether fast steps of the fused range take the swap-AB kernel on Hopper
   * ("on") or mma.sync ("off", the default: slower than mma.sync from 256 tokens and through the engine at
   * 1,024^3, H100 2026-12-07 14:39Z, BENCHMARKS.md).
   */
  static boolean swapEnabled(String env) {
    return swapSetting(env).equals("on");
  }

  /**
   * GPTOSS_CUDA_MOE_SWAP=mid: fast fused steps on Hopper below the wide range ({@link #wideFits}, or all of them with
   * GPTOSS_CUDA_MOE_WIDE=off) take {@link #SWAP_MID}, the three-warpgroup swap-AB kernel; off until measured in the engine.
   */
  static boolean swapMidEnabled(String env) {
    return swapSetting(env).equals("mid");
  }

  private static String swapSetting(String env) {
    if (env == null || env.isBlank()) return "off";
    return switch (env.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "on", "1", "true" -> "on";
      case "off", "0", "false", "auto" -> "off";
      case "mid" -> "mid";
      default -> throw new ai.gptoss.backend.BackendException("GPTOSS_CUDA_MOE_SWAP=" + env + ": expected off (default), on or mid");
    };
  }

  /**
   * GPTOSS_CUDA_MOE_SPLIT: whether fast steps of at most {@link #SPLIT_MAX_TOKENS} tokens take the K-split
   * gemv ("on") or keep the tensor-core and CUDA-core gemvs ("off", the default: slower than them at 1-8 tokens and in
   * the single-stream step, H100 2026-12-07 15:16Z, BENCHMARKS.md).
   */
  static boolean splitEnabled(String env) {
    return onOff("GPTOSS_CUDA_MOE_SPLIT", env);
  }

  /**
   * GPTOSS_CUDA_MOE_WIDE: the kernel of fast steps on Hopper with enough rows per expert ({@link #wideFits}):
   * {@link #WGMMA_N256} (unset, "auto" or "on": the default, faster from 512 tokens of gpt-oss-20b), its 192-row tiles
   * {@link #WGMMA_N256_M192} ("m192"), the earlier form {@link #WGMMA_N256_RD3} ("rd3", loads 3 steps ahead), the form
   * with its epilogue's biases staged in shared memory {@link #WGMMA_N256_SB} ("sb"; the three for A/B runs), or null:
   * mma.sync ("off").
   */
  static String wideKernel(String env) {
    if (env == null || env.isBlank()) return WGMMA_N256;
    return switch (env.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "auto", "on", "1", "true" -> WGMMA_N256;
      case "m192" -> WGMMA_N256_M192;
      case "rd3" -> WGMMA_N256_RD3;
      case "sb" -> WGMMA_N256_SB;
      case "off", "0", "false" -> null;
      default -> throw new ai.gptoss.backend.BackendException(
          "GPTOSS_CUDA_MOE_WIDE=" + env + ": expected auto (default), on, off, m192, rd3 or sb");
    };
  }

  /** An opt-in kernel switch: on / 1 / true, or off / 0 / false / auto / unset (the default); else an error naming it. */
  private static boolean onOff(String name, String env) {
    if (env == null || env.isBlank()) return false;
    return switch (env.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "on", "1", "true" -> true;
      case "off", "0", "false", "auto" -> false;
      default -> throw new ai.gptoss.backend.BackendException(name + "=" + env + ": expected on or off (default)");
    };
  }

  /**
   * The fused kernel of steps above the gemv range (and of large steps without the dense path's scratch): wgmma for
   * precise steps on Hopper, mma.sync off Hopper; fast steps on Hopper take the swap-AB kernel with {@code swap} (where
   * it serves the shapes, {@link #swapFits}), else {@link #WGMMA_N256} with {@code wide} where {@link #wideFits}, else
   * {@link #SWAP_MID} with {@code swapMid} (where it serves them), else mma.sync.
   */
  static String fusedKernel(int tokens, int topK, int experts, int hidden, int intermediate, boolean precise,
      boolean hopper, Switches switches) {
    if (!hopper) return GEMM;
    if (precise) return WGMMA;
    boolean swapServes = swapFits(hidden, intermediate);
    if (switches.swap() && swapServes) return SWAP;
    if (switches.wide() != null && wideFits(tokens, topK, experts)) return switches.wide();
    if (switches.swapMid() && swapServes) return SWAP_MID;
    return GEMM;
  }

  /**
   * The switches of a step's choice besides its shape: a kernel forced for every step ({@code forced}, one of the kernel
   * names, or null for the choice by shape: GPTOSS_CUDA_MOE), whether the dense path's scratch fits ({@code denseAllowed};
   * without it large steps take the fused kernel instead of {@link #DENSE}), and the kernel switches GPTOSS_CUDA_MOE_SWAP
   * ({@code swap}, "on": fast fused steps on Hopper take the swap-AB kernel; {@code swapMid}, "mid": those below the wide
   * range take {@link #SWAP_MID}), GPTOSS_CUDA_MOE_SPLIT ({@code split}: fast steps
   * of at most {@link #SPLIT_MAX_TOKENS} tokens take the K-split gemv) and GPTOSS_CUDA_MOE_WIDE ({@code wide}: the kernel,
   * {@link #WGMMA_N256} or a variant ({@link #wideKernel}), of fast fused steps on Hopper with enough rows per expert,
   * {@link #wideFits}, unless {@code swap} takes them; null: mma.sync).
   */
  record Switches(String forced, boolean denseAllowed, boolean swap, boolean swapMid, boolean split, String wide) {
    /** What a step gets with no switch set: the choice by shape, the dense path allowed, the wide wgmma on. */
    static final Switches DEFAULTS = new Switches(null, true, false, false, false, WGMMA_N256);

    Switches withForced(String kernel) {
      return new Switches(kernel, denseAllowed, swap, swapMid, split, wide);
    }

    Switches withDenseAllowed(boolean on) {
      return new Switches(forced, on, swap, swapMid, split, wide);
    }

    Switches withSwap(boolean on) {
      return new Switches(forced, denseAllowed, on, swapMid, split, wide);
    }

    Switches withSwapMid(boolean on) {
      return new Switches(forced, denseAllowed, swap, on, split, wide);
    }

    Switches withSplit(boolean on) {
      return new Switches(forced, denseAllowed, swap, swapMid, on, wide);
    }

    /** The wide steps' kernel: {@link #WGMMA_N256} or a variant of it, or null for mma.sync. */
    Switches withWide(String kernel) {
      return new Switches(forced, denseAllowed, swap, swapMid, split, kernel);
    }
  }

  /** The plan of a {@code tokens}-token step with no switch set ({@link Switches#DEFAULTS}); hidden, intermediate: the K. */
  static ExpertGemmPlan of(int tokens, int topK, int experts, int hidden, int intermediate, boolean precise, boolean hopper) {
    return of(tokens, topK, experts, hidden, intermediate, precise, hopper, Switches.DEFAULTS);
  }

  /** As above, under {@code switches}. */
  static ExpertGemmPlan of(int tokens, int topK, int experts, int hidden, int intermediate, boolean precise, boolean hopper,
      Switches switches) {
    String forced = switches.forced();
    boolean splitStep = forced == null && switches.split() && !precise && tokens <= SPLIT_MAX_TOKENS;
    // one token, fast: gate_up on the tensor cores, down on the CUDA cores (see the class comment)
    boolean oneTokenFast = forced == null && tokens <= 1 && !precise && !splitStep;
    String kernel = forced != null ? forced
        : splitStep ? GEMV_SPLIT
        : tokens >= DENSE_MIN_TOKENS && switches.denseAllowed() ? DENSE
        : tokens <= 1 ? (precise ? GEMV : GEMV_TC)
        : tokens * topK <= GEMV_MAX_ASSIGNMENTS ? GEMV_TC
        : fusedKernel(tokens, topK, experts, hidden, intermediate, precise, hopper, switches);
    boolean wide = WIDE_KERNELS.contains(kernel);
    if ((kernel.equals(WGMMA) || wide) && !hopper) {
      throw new ai.gptoss.backend.BackendException("GPTOSS_CUDA_MOE forces " + kernel + ", a wgmma expert "
          + "kernel, which needs a Hopper GPU (sm_90)");
    }
    if (wide && precise) {
      throw new ai.gptoss.backend.BackendException("GPTOSS_CUDA_MOE forces " + kernel + ", the 256-feature wgmma "
          + "expert kernel, which serves precision fast only (the precise variant's shared memory does not fit); use wgmma");
    }
    if ((kernel.equals(SWAP) || kernel.equals(SWAP_MID)) && (!hopper || precise || !swapFits(hidden, intermediate))) {
      throw new ai.gptoss.backend.BackendException("GPTOSS_CUDA_MOE forces " + kernel + ", a swap-AB expert kernel, "
          + "which needs a Hopper GPU (sm_90), precision fast and hidden_size and 2*intermediate_size multiples of 64 (hopper="
          + hopper + ", precise=" + precise + ", hidden_size=" + hidden + ", intermediate_size=" + intermediate + ")");
    }
    int k = Math.max(hidden, intermediate);
    ExpertGemmPlan plan = single(kernel, tokens, topK, experts, k, precise);
    if (!oneTokenFast) return plan;
    return new ExpertGemmPlan(plan.kernel, plan.tileM, plan.maxTiles, plan.features, plan.threads, plan.sharedBytes,
        single(GEMV, tokens, topK, experts, k, precise));
  }

  /** The plan of {@code kernel} for both products of a step; {@code k} is the larger inner dimension of the two. */
  private static ExpertGemmPlan single(String kernel, int tokens, int topK, int experts, int k, boolean precise) {
    return switch (kernel) {
      case GEMV -> {
        int rows = gemvRows(tokens);
        yield new ExpertGemmPlan(gemvKernel(rows), GEMV_ROWS, maxTiles(tokens, topK, experts, GEMV_ROWS), GEMV_FEATURES,
            THREADS, gemvSharedBytes(k, rows));
      }
      case GEMV_TC -> new ExpertGemmPlan(GEMV_TC, GEMV_ROWS, maxTiles(tokens, topK, experts, GEMV_ROWS), GEMV_TC_FEATURES,
          THREADS, gemvTcSharedBytes(k, Math.min(GEMV_ROWS, tokens), precise));
      case GEMV_SPLIT -> new ExpertGemmPlan(GEMV_SPLIT, GEMV_ROWS, maxTiles(tokens, topK, experts, GEMV_ROWS), SPLIT_FEATURES,
          SPLIT_THREADS, gemvSplitSharedBytes(k, Math.min(GEMV_ROWS, tokens), precise));
      case WGMMA -> new ExpertGemmPlan(WGMMA, GEMM_ROWS, maxTiles(tokens, topK, experts, GEMM_ROWS), GEMM_FEATURES,
          WGMMA_THREADS, wgmmaSharedBytes(precise));
      case WGMMA_N256, WGMMA_N256_RD3, WGMMA_N256_SB -> new ExpertGemmPlan(kernel, GEMM_ROWS,
          maxTiles(tokens, topK, experts, GEMM_ROWS), WIDE_FEATURES, WGMMA_THREADS, hopperFastSharedBytes(kernel));
      case WGMMA_N256_M192 -> new ExpertGemmPlan(kernel, WIDE_M192_ROWS, maxTiles(tokens, topK, experts, WIDE_M192_ROWS),
          WIDE_FEATURES, WIDE_M192_THREADS, hopperFastSharedBytes(kernel));
      case SWAP_MID -> new ExpertGemmPlan(SWAP_MID, SWAP_MID_ROWS, maxTiles(tokens, topK, experts, SWAP_MID_ROWS), SWAP_MID_FEATURES,
          SWAP_MID_THREADS, hopperFastSharedBytes(kernel));
      case SWAP -> new ExpertGemmPlan(SWAP, SWAP_ROWS, maxTiles(tokens, topK, experts, SWAP_ROWS), SWAP_FEATURES,
          SWAP_THREADS, hopperFastSharedBytes(kernel));
      case DENSE -> new ExpertGemmPlan(DENSE, GEMM_ROWS, maxTiles(tokens, topK, experts, GEMM_ROWS), GEMM_FEATURES, THREADS, 0);
      default -> new ExpertGemmPlan(GEMM, GEMM_ROWS, maxTiles(tokens, topK, experts, GEMM_ROWS), GEMM_FEATURES, THREADS,
          gemmSharedBytes(precise));
    };
  }

  /** A plan whose two products run the same kernel. */
  ExpertGemmPlan(String kernel, int tileM, int maxTiles, int features, int threads, int sharedBytes) {
    this(kernel, tileM, maxTiles, features, threads, sharedBytes, null);
  }

  /** The launch of the down product: this plan's, or another kernel on the same tiles. */
  ExpertGemmPlan downProduct() {
    return down == null ? this : down;
  }

  /** Whether this step's experts run through {@link DenseExperts} (cuBLAS on unpacked weights). */
  boolean dense() {
    return kernel.equals(DENSE);
  }

  /** Blocks along y for {@code n} output features. */
  int featureBlocks(int n) {
    return (n + features - 1) / features;
  }
}
