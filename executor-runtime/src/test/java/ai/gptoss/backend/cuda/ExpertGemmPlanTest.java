package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The host's view of the expert kernels agrees with their sources, and its tile bound holds. */
class ExpertGemmPlanTest {
  private static String source(String source) throws IOException {
    try (InputStream in = ExpertGemmPlanTest.class.getClassLoader().getResourceAsStream(KernelCompiler.RESOURCE_DIR + source)) {
      assertNotNull(in, source + " on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static int define(String source, String name) throws IOException {
    Matcher m = Pattern.compile("#define " + name + " (\\d+)").matcher(source(source));
    assertTrue(m.find(), "#define " + name + " in " + source);
    return Integer.parseInt(m.group(1));
  }

  /**
   * One block of the swap-AB kernel fits an SM's 65,536 registers: the SM charges a block's warps in
   * groups of 4, so its 10 warps cost 12 x 32 x maxnreg. At __maxnreg__(224) none launched ("too many
   * resources requested for launch", H100 2026-12-07 12:57Z).
   */
  @Test
  void swapKernelRegisterBudgetFitsAnSm() throws IOException {
    Matcher m = Pattern.compile("__maxnreg__\\((\\d+)\\) " + ExpertGemmPlan.SWAP + "\\(").matcher(source("moe_gemm_swap.cu"));
    assertTrue(m.find(), "__maxnreg__ of " + ExpertGemmPlan.SWAP);
    int maxnreg = Integer.parseInt(m.group(1));
    int warps = ExpertGemmPlan.SWAP_THREADS / 32;
    int chargedWarps = (warps + 3) / 4 * 4;
    assertTrue(chargedWarps * 32 * maxnreg <= 65_536,
        chargedWarps + " warps x 32 x " + maxnreg + " registers exceed an SM's 65,536");
  }

  @Test
  void constantsMatchTheKernels() throws IOException {
    assertEquals(define("moe_gemm.cu", "BM"), ExpertGemmPlan.GEMM_ROWS);
    assertEquals(define("moe_gemm.cu", "BN"), ExpertGemmPlan.GEMM_FEATURES);
    assertEquals(define("moe_gemm.cu", "STAGES"), 3, "gemmSharedBytes assumes 3 stages");
    assertEquals(define("moe_gemm.cu", "LDB"), 48);
    assertEquals(define("moe_gemm.cu", "BK") + 8, 72, "gemmSharedBytes assumes rows of BK + 8");
    assertEquals(define("moe_gemv.cu", "GV_ROWS"), ExpertGemmPlan.GEMV_ROWS);
    assertEquals(define("moe_gemv.cu", "GV_FEAT") * define("moe_gemv.cu", "GV_WARPS"), ExpertGemmPlan.GEMV_FEATURES);
    assertEquals(define("moe_gemv.cu", "GV_BLK"), 36);
    assertEquals(define("moe_gemv_tc.cu", "TC_ROWS"), ExpertGemmPlan.GEMV_ROWS);
    assertEquals(16 * 8 / define("moe_gemv_tc.cu", "TC_KSPLIT"), ExpertGemmPlan.GEMV_TC_FEATURES, "TC_FB");
    assertEquals(define("moe_gemv_split.cu", "GS_ROWS"), ExpertGemmPlan.GEMV_ROWS);
    assertEquals(define("moe_gemv_split.cu", "GS_FEAT"), ExpertGemmPlan.SPLIT_FEATURES);
    assertEquals(32 * define("moe_gemv_split.cu", "GS_WARPS"), ExpertGemmPlan.SPLIT_THREADS);
    assertEquals(define("moe_wgmma.cuh", "WG_BM"), ExpertGemmPlan.GEMM_ROWS);
    assertEquals(define("gptoss_kernels.h", "MOE_TAIL_ROWS"), ExpertGemmPlan.TAIL_ROWS);
    assertEquals(define("moe_wgmma.cuh", "WG_LDQ"), 32, "wgmmaSharedBytes assumes nibble rows of 32 bytes");
    assertEquals(define("moe_gemm_swap.cu", "SW_RMAX"), ExpertGemmPlan.SWAP_ROWS);
    assertEquals(64 * define("moe_gemm_swap.cu", "SW_CW"), ExpertGemmPlan.SWAP_FEATURES);
    assertEquals(128 * define("moe_gemm_swap.cu", "SW_CW") + 32 * define("moe_gemm_swap.cu", "SW_PW"), ExpertGemmPlan.SWAP_THREADS);
    assertEquals(define("moe_gemm_swap.cu", "SW_LS"), 4, "swapSharedBytes assumes a 4-slot ring");
    assertEquals(define("moe_gemm_swap.cu", "SW_LDQ"), 32, "swapSharedBytes assumes nibble rows of 32 bytes");
  }

  /** The host's shared-memory sizes are the kernels' macros, evaluated here for the production shapes. */
  @Test
  void sharedBytesMatchTheMacros() {
    // MOE_WGMMA_SMEM_T(128, 4, precise): 4 * ((precise ? 2 : 1) * 128 * 128 + 128 * 32 + 2 * 128) + 2 * 128 * 128 + 1024
    assertEquals(116_736, ExpertGemmPlan.wgmmaSharedBytes(false));
    assertEquals(182_272, ExpertGemmPlan.wgmmaSharedBytes(true));
    // MOE_WGMMA_SMEM_T(256, 4, false): 4 * (128 * 128 + 256 * 32 + 2 * 256) + 2 * 256 * 128 + 1024; the precise one would not fit
    assertEquals(166_912, ExpertGemmPlan.wgmmaSharedBytes(false, 128, 256));
    assertTrue(ExpertGemmPlan.wgmmaSharedBytes(true, 128, 256) >= 227 * 1024, "the whole limit, before the static barriers");
    // the form with staged biases: the same dynamic shared memory (its biases are 1 KB of static shared memory)
    assertEquals(166_912, ExpertGemmPlan.hopperFastSharedBytes(ExpertGemmPlan.WGMMA_N256_SB));
    // MOE_GEMV_TC_SMEM(2880, 8, true): TC_UNITS(2880) = (360 + 45 + 5) / 8 * 8 + 2 = 410 units of 16 bytes
    assertEquals(2 * 8 * 410 * 16, ExpertGemmPlan.gemvTcSharedBytes(2880, 8, true));
    assertEquals(410 * 16, ExpertGemmPlan.gemvTcSharedBytes(2880, 1, false));
    // MOE_SWAP_SMEM_T(192, 128, 4): 4 * (192 * 128 + 128 * 32 + 2 * 128) + 1024
    assertEquals(116_736, ExpertGemmPlan.hopperFastSharedBytes(ExpertGemmPlan.SWAP));
    assertTrue(ExpertGemmPlan.hopperFastSharedBytes(ExpertGemmPlan.SWAP) <= 227 * 1024, "swap shared memory fits an H100 block");
    // MOE_GEMV_SPLIT_SMEM(2880, rows, precise): 4 warps x (23 * 256 + 23 * 16 + planes * rows * 23 * 64)
    assertEquals(4 * (5888 + 368 + 1472), ExpertGemmPlan.gemvSplitSharedBytes(2880, 1, false));
    assertEquals(4 * (5888 + 368 + 2 * 8 * 1472), ExpertGemmPlan.gemvSplitSharedBytes(2880, 8, true));
    // K = 160 (5 blocks): warps of 1, 1, 1, 2 blocks have room for 2 each (stride 3)
    assertEquals(4 * (3 * 256 + 2 * 16 + 2 * 64 * 3), ExpertGemmPlan.gemvSplitSharedBytes(160, 2, false));
    // K = 64 (2 blocks): one block per warp at most, the stride raised to 3 (room for the warp's 512 bytes of sums)
    assertEquals(4 * (3 * 256 + 16 + 64 * 3), ExpertGemmPlan.gemvSplitSharedBytes(64, 1, false));
    assertTrue(ExpertGemmPlan.gemvSplitSharedBytes(2880, 8, true) <= 163 * 1024, "split gemv shared memory fits an A100 block");
    // an H100 SM has 228 KiB, 1 KiB of it reserved per block (the kernel has no static shared memory)
    assertTrue(7 * (ExpertGemmPlan.gemvSplitSharedBytes(2880, 1, false) + 1024) <= 228 * 1024, "seven one-token split blocks per SM");
  }

  /**
   * Every wide variant: its plan's shared memory is the size ForwardPass raises the limit to, within an H100 block; it is
   * refused in precise mode and off Hopper; anything else is not a fast-only Hopper kernel.
   */
  @Test
  void everyWideKernelHasItsSharedMemoryAndIsFastHopperOnly() {
    for (String kernel : ExpertGemmPlan.WIDE_KERNELS) {
      ExpertGemmPlan plan = ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, beforeWide(kernel, true));
      assertEquals(kernel, plan.kernel());
      assertEquals(ExpertGemmPlan.hopperFastSharedBytes(kernel), plan.sharedBytes(), kernel);
      assertTrue(plan.sharedBytes() <= 227 * 1024, kernel + " fits an H100 block");
      org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
          () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, beforeWide(kernel, true)), kernel + " precise");
      org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
          () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false, beforeWide(kernel, true)), kernel + " off Hopper");
    }
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ExpertGemmPlan.hopperFastSharedBytes(ExpertGemmPlan.WGMMA));
  }

  /** moe_group cuts sum over experts of ceil(count / tileM) tiles; the grid must cover all of them. */
  @Test
  void maxTilesBoundsEveryRouting() {
    Random rnd = new Random(7);
    int experts = 32, topK = 4;
    for (int tokens : new int[] {1, 2, 3, 8, 33, 64, 100, 1024, 4097}) {
      for (int trial = 0; trial < 200; trial++) {
        int[] counts = new int[experts];
        boolean skewed = trial % 2 == 0;
        for (int t = 0; t < tokens; t++) {
          for (int j = 0; j < topK; j++) { // distinctness does not matter for the bound
            int e = skewed ? (j * 9 + rnd.nextInt(2) * 5 + rnd.nextInt(3)) % experts : rnd.nextInt(experts);
            counts[e]++;
          }
        }
        for (int tileM : new int[] {ExpertGemmPlan.GEMV_ROWS, ExpertGemmPlan.GEMM_ROWS, ExpertGemmPlan.SWAP_ROWS}) {
          int tiles = 0;
          for (int c : counts) tiles += (c + tileM - 1) / tileM;
          int bound = ExpertGemmPlan.maxTiles(tokens, topK, experts, tileM);
          assertTrue(tiles <= bound, tiles + " tiles > bound " + bound + " (T=" + tokens + ", tileM=" + tileM + ")");
          assertTrue(bound <= ExpertGemmPlan.maxTilesAnyKernel(tokens, topK, experts));
        }
      }
    }
  }

  private static final ExpertGemmPlan.Switches DEFAULTS = ExpertGemmPlan.Switches.DEFAULTS;

  /** The switches as the tests of the kernels before the wide wgmma give them: that kernel off unless said. */
  /**
   * A plan's launch: its kernel for both products, rows per tile, the tile bound, feature blocks of the gate_up (5,760) and
   * down (2,880) products of gpt-oss-20b, threads and dynamic shared memory.
   */
  private static void assertLaunch(ExpertGemmPlan plan, String kernel, int tileM, int maxTiles, int gateUpBlocks,
      int downBlocks, int threads, int sharedBytes) {
    assertEquals(kernel, plan.kernel());
    assertEquals(tileM, plan.tileM());
    assertEquals(maxTiles, plan.maxTiles());
    assertEquals(gateUpBlocks, plan.featureBlocks(5760));
    assertEquals(downBlocks, plan.featureBlocks(2880));
    assertEquals(threads, plan.threads());
    assertEquals(sharedBytes, plan.sharedBytes());
    assertEquals(plan, plan.downProduct());
  }

  private static ExpertGemmPlan.Switches beforeWide(String forced, boolean denseAllowed) {
    return DEFAULTS.withForced(forced).withDenseAllowed(denseAllowed).withWide(null);
  }

  @Test
  void kernelFollowsTheShapePrecisionAndGeneration() {
    ExpertGemmPlan one = ExpertGemmPlan.of(1, 4, 32, 2880, 2880, true, true);
    assertEquals("bf16_mxfp4w_moe_gemv_r1", one.kernel());
    assertEquals(ExpertGemmPlan.gemvSharedBytes(2880, 1), one.sharedBytes());
    assertEquals(ExpertGemmPlan.GEMV_ROWS, one.tileM());
    assertEquals(1 + 4, one.maxTiles());
    assertEquals(180, one.featureBlocks(5760));
    assertEquals(90, one.featureBlocks(2880));
    assertEquals(256, one.threads());
    assertEquals(one, one.downProduct());
    // one token, fast: gate_up on the tensor-core gemv, down on the one-row CUDA-core gemv, same tiles
    ExpertGemmPlan oneFast = ExpertGemmPlan.of(1, 4, 32, 2880, 2880, false, true);
    assertEquals(ExpertGemmPlan.GEMV_TC, oneFast.kernel());
    assertEquals(ExpertGemmPlan.gemvTcSharedBytes(2880, 1, false), oneFast.sharedBytes());
    assertEquals(90, oneFast.featureBlocks(5760));
    ExpertGemmPlan down = oneFast.downProduct();
    assertEquals("bf16_mxfp4w_moe_gemv_r1", down.kernel());
    assertEquals(ExpertGemmPlan.gemvSharedBytes(2880, 1), down.sharedBytes());
    assertEquals(90, down.featureBlocks(2880));
    assertEquals(oneFast.tileM(), down.tileM());
    assertEquals(oneFast.maxTiles(), down.maxTiles());
    // a forced kernel runs both products
    ExpertGemmPlan forced = ExpertGemmPlan.of(1, 4, 32, 2880, 2880, false, true, beforeWide(ExpertGemmPlan.forcedKernel("gemv"), true));
    assertEquals(forced, forced.downProduct());
    assertEquals("bf16_mxfp4w_moe_gemv_r1", forced.kernel());
    ExpertGemmPlan two = ExpertGemmPlan.of(2, 4, 32, 2880, 2880, false, true);
    assertEquals(two, two.downProduct());
    assertEquals(ExpertGemmPlan.GEMV_TC, two.kernel());
    assertEquals(ExpertGemmPlan.gemvTcSharedBytes(2880, 2, false), two.sharedBytes());
    assertEquals(90, two.featureBlocks(5760));
    int edge = ExpertGemmPlan.GEMV_MAX_ASSIGNMENTS / 4;
    ExpertGemmPlan last = ExpertGemmPlan.of(edge, 4, 32, 2880, 2880, true, true);
    assertEquals(ExpertGemmPlan.GEMV_TC, last.kernel());
    assertEquals(ExpertGemmPlan.gemvTcSharedBytes(2880, 8, true), last.sharedBytes());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(edge + 1, 4, 32, 2880, 2880, false, true).kernel());
    // fast, 128 rows per expert: the 256-feature wgmma on Hopper, mma.sync elsewhere or with GPTOSS_CUDA_MOE_WIDE=off
    ExpertGemmPlan big = ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true);
    assertEquals(ExpertGemmPlan.WGMMA_N256, big.kernel());
    assertEquals(4096 / 128 + 32, big.maxTiles());
    assertEquals(23, big.featureBlocks(5760));
    ExpertGemmPlan bigSync = ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false);
    assertEquals(ExpertGemmPlan.GEMM, bigSync.kernel());
    assertEquals(4096 / 128 + 32, bigSync.maxTiles());
    assertEquals(45, bigSync.featureBlocks(5760));
    assertEquals(bigSync.kernel(), ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, DEFAULTS.withWide(null)).kernel());
    // precise steps above the gemv range: wgmma on Hopper, mma.sync elsewhere
    ExpertGemmPlan wg = ExpertGemmPlan.of(edge + 1, 4, 32, 2880, 2880, true, true);
    assertEquals(ExpertGemmPlan.WGMMA, wg.kernel());
    assertEquals(384, wg.threads());
    assertEquals(ExpertGemmPlan.wgmmaSharedBytes(true), wg.sharedBytes());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, false).kernel());
    // large steps: cuBLAS on unpacked weights, in every precision and generation
    int many = ExpertGemmPlan.DENSE_MIN_TOKENS;
    assertTrue(ExpertGemmPlan.of(many, 4, 32, 2880, 2880, true, true).dense());
    assertTrue(ExpertGemmPlan.of(many, 4, 32, 2880, 2880, false, false).dense());
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.of(many - 1, 4, 32, 2880, 2880, false, true).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(many - 1, 4, 32, 2880, 2880, false, false).kernel());
    assertTrue(ExpertGemmPlan.of(1, 4, 32, 2880, 2880, false, true, beforeWide(ExpertGemmPlan.forcedKernel("dense"), true)).dense());
    // without room for the dense scratch, large steps take the fused kernel of their precision
    assertEquals(ExpertGemmPlan.WGMMA, ExpertGemmPlan.of(many, 4, 32, 2880, 2880, true, true, beforeWide(null, false)).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(many, 4, 32, 2880, 2880, false, true, beforeWide(null, false)).kernel());
    assertEquals(ExpertGemmPlan.gemmSharedBytes(false), ExpertGemmPlan.of(many, 4, 32, 2880, 2880, false, true, beforeWide(null, false)).sharedBytes());
    assertEquals(ExpertGemmPlan.WGMMA, ExpertGemmPlan.fusedKernel(1024, 4, 32, 2880, 2880, true, true, DEFAULTS));
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.fusedKernel(1024, 4, 32, 2880, 2880, true, false, DEFAULTS));
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.fusedKernel(1024, 4, 32, 2880, 2880, false, true, DEFAULTS.withWide(null)));
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.fusedKernel(1024, 4, 32, 2880, 2880, false, true, DEFAULTS));
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.fusedKernel(1024, 4, 32, 2880, 2880, false, false, DEFAULTS));
    assertEquals(ExpertGemmPlan.GEMV, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, beforeWide(ExpertGemmPlan.forcedKernel("gemv"), true)).kernel());
    assertEquals(4096 / 8 + 32, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, beforeWide(ExpertGemmPlan.forcedKernel("gemv"), true)).maxTiles());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1, 4, 32, 2880, 2880, true, true, beforeWide(ExpertGemmPlan.forcedKernel("gemm"), true)).kernel());
    assertEquals(ExpertGemmPlan.GEMV_TC, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, beforeWide(ExpertGemmPlan.forcedKernel("gemv_tc"), true)).kernel());
    assertEquals(ExpertGemmPlan.WGMMA, ExpertGemmPlan.of(1, 4, 32, 2880, 2880, false, true, beforeWide(ExpertGemmPlan.forcedKernel("wgmma"), true)).kernel());
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, false, beforeWide(ExpertGemmPlan.WGMMA, true)));
    assertEquals(null, ExpertGemmPlan.forcedKernel("auto"));
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class, () -> ExpertGemmPlan.forcedKernel("fast"));
    assertTrue(ExpertGemmPlan.gemmSharedBytes(true) <= 227 * 1024, "gemm shared memory fits an H100/A100 block");
    assertTrue(ExpertGemmPlan.wgmmaSharedBytes(true) <= 227 * 1024, "wgmma shared memory fits an H100 block");
    assertTrue(ExpertGemmPlan.gemvSharedBytes(2880, 8) <= 227 * 1024 / 2, "two gemv blocks per SM");
    assertTrue(ExpertGemmPlan.gemvSharedBytes(2880, 1) <= 227 * 1024 / 3, "three single-row gemv blocks per SM");
  }

  /**
   * The 256-feature wgmma (GPTOSS_CUDA_MOE_WIDE, on unless off) takes fast fused steps on Hopper from 64 rows per expert on
   * average: gpt-oss-20b from 512 tokens (a decode step at batch 1,024), gpt-oss-120b (128 experts) from 2,048; precise
   * steps, other GPUs, fewer rows, the gemv and dense ranges and the swap switch keep their kernels.
   */
  @Test
  void wideWgmmaTakesFastStepsOfManyRowsPerExpertOnHopper() {
    assertLaunch(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, DEFAULTS), ExpertGemmPlan.WGMMA_N256, 128,
        4096 / 128 + 32, 23, 12, 384, 166_912);
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.of(512, 4, 32, 2880, 2880, false, true, DEFAULTS).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(511, 4, 32, 2880, 2880, false, true, DEFAULTS).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1024, 4, 128, 2880, 2880, false, true, DEFAULTS).kernel());
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.of(2048, 4, 128, 2880, 2880, false, true, DEFAULTS).kernel());
    int many = ExpertGemmPlan.DENSE_MIN_TOKENS;
    assertTrue(ExpertGemmPlan.of(many, 4, 32, 2880, 2880, false, true, DEFAULTS).dense());
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.of(many, 4, 32, 2880, 2880, false, true, DEFAULTS.withDenseAllowed(false)).kernel());
    assertEquals(ExpertGemmPlan.WGMMA, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, DEFAULTS).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false, DEFAULTS).kernel());
    assertEquals(ExpertGemmPlan.SWAP, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, DEFAULTS.withSwap(true)).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, DEFAULTS.withWide(null)).kernel());
    // forced: fast on Hopper only
    assertEquals(ExpertGemmPlan.WGMMA_N256,
        ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, beforeWide(ExpertGemmPlan.forcedKernel("wgmma_n256"), true)).kernel());
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, beforeWide(ExpertGemmPlan.WGMMA_N256, true)));
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false, beforeWide(ExpertGemmPlan.WGMMA_N256, true)));
    // its 192-row form, forced only: tiles of 192 rows, 512 threads, MOE_WGMMA_SMEM_CW(256, 4, 3, false) = 199,680 bytes
    assertLaunch(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, beforeWide(ExpertGemmPlan.forcedKernel("wgmma_n256_m192"), true)),
        ExpertGemmPlan.WGMMA_N256_M192, 192, (4096 + 191) / 192 + 32, 23, 12, 512, 199_680);
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true).kernel());
    // the form with staged biases forced for every step (prefill A/B against the dense path): wide tiles at 16,384 tokens
    ExpertGemmPlan sbPrefill = ExpertGemmPlan.of(16384, 4, 32, 2880, 2880, false, true,
        beforeWide(ExpertGemmPlan.forcedKernel("wgmma_n256_sb"), true));
    assertEquals(ExpertGemmPlan.WGMMA_N256_SB, sbPrefill.kernel());
    assertEquals(128, sbPrefill.tileM());
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, beforeWide(ExpertGemmPlan.WGMMA_N256_M192, true)));
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false, beforeWide(ExpertGemmPlan.WGMMA_N256_M192, true)));
    // the switch: on by default, off for A/B runs, anything else named
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.wideKernel(null));
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.wideKernel(" auto "));
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.wideKernel("on"));
    assertEquals(ExpertGemmPlan.WGMMA_N256_M192, ExpertGemmPlan.wideKernel(" M192 "));
    assertEquals(null, ExpertGemmPlan.wideKernel("off"));
    assertEquals(null, ExpertGemmPlan.wideKernel("0"));
    // m192 takes the wide steps only: prefill keeps the dense path, small steps their kernels, precise steps wgmma
    ExpertGemmPlan.Switches m192Wide = DEFAULTS.withWide(ExpertGemmPlan.wideKernel("m192"));
    ExpertGemmPlan wideStep = ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, m192Wide);
    assertEquals(ExpertGemmPlan.WGMMA_N256_M192, wideStep.kernel());
    assertEquals(192, wideStep.tileM());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(256, 4, 32, 2880, 2880, false, true, m192Wide).kernel());
    assertTrue(ExpertGemmPlan.of(ExpertGemmPlan.DENSE_MIN_TOKENS, 4, 32, 2880, 2880, false, true, m192Wide).dense());
    assertEquals(ExpertGemmPlan.WGMMA, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, m192Wide).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false, m192Wide).kernel());
    // rd3 (the earlier form, loads 3 steps ahead) takes the wide steps on the 256-feature kernel's tiles, threads and
    // shared memory
    ExpertGemmPlan.Switches rd3Wide = DEFAULTS.withWide(ExpertGemmPlan.wideKernel(" RD3"));
    assertLaunch(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, rd3Wide), ExpertGemmPlan.WGMMA_N256_RD3, 128,
        4096 / 128 + 32, 23, 12, 384, 166_912);
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(256, 4, 32, 2880, 2880, false, true, rd3Wide).kernel());
    assertEquals(ExpertGemmPlan.WGMMA, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, rd3Wide).kernel());
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, beforeWide(ExpertGemmPlan.WGMMA_N256_RD3, true)));
    // sb (the biases staged in shared memory) takes the wide steps on the production kernel's tiles and launch
    ExpertGemmPlan.Switches sbWide = DEFAULTS.withWide(ExpertGemmPlan.wideKernel(" SB "));
    assertLaunch(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, sbWide), ExpertGemmPlan.WGMMA_N256_SB, 128,
        4096 / 128 + 32, 23, 12, 384, 166_912);
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(256, 4, 32, 2880, 2880, false, true, sbWide).kernel());
    assertTrue(ExpertGemmPlan.of(ExpertGemmPlan.DENSE_MIN_TOKENS, 4, 32, 2880, 2880, false, true, sbWide).dense());
    assertEquals(ExpertGemmPlan.WGMMA, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, sbWide).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false, sbWide).kernel());
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, beforeWide(ExpertGemmPlan.WGMMA_N256_SB, true)));
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false, beforeWide(ExpertGemmPlan.WGMMA_N256_SB, true)));
    ai.gptoss.backend.BackendException e = org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.wideKernel("wide"));
    assertTrue(e.getMessage().contains("GPTOSS_CUDA_MOE_WIDE=wide"), e.getMessage());
    assertTrue(e.getMessage().contains("sb"), e.getMessage());
  }

  /**
   * GPTOSS_CUDA_MOE_TAILS=on gives a wide step's short last tiles to the tensor-core gemv: a second launch of 8-row tiles,
   * 4 per expert at most (32 rows), its shared memory for 8 rows at the larger K; nothing for other kernels, 192-row
   * tiles or when off; the switch reads on / off and names itself otherwise.
   */
  @Test
  void tailsGoToTheTensorCoreGemvOnWideStepsOnly() {
    ExpertGemmPlan wide = ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true);
    ExpertGemmPlan tails = ExpertGemmPlan.tails(wide, 32, 2880, 2880, true);
    assertLaunch(tails, ExpertGemmPlan.GEMV_TC, 8, 32 * 4, 90, 45, 256, ExpertGemmPlan.gemvTcSharedBytes(2880, 8, false));
    assertEquals(128, ExpertGemmPlan.maxTailTiles(32));
    assertEquals(512, ExpertGemmPlan.maxTailTiles(128));
    assertEquals(null, ExpertGemmPlan.tails(wide, 32, 2880, 2880, false));
    assertEquals(null, ExpertGemmPlan.tails(ExpertGemmPlan.of(256, 4, 32, 2880, 2880, false, true), 32, 2880, 2880, true));
    assertEquals(null, ExpertGemmPlan.tails(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true), 32, 2880, 2880, true));
    assertEquals(null, ExpertGemmPlan.tails(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false), 32, 2880, 2880, true));
    assertEquals(null, ExpertGemmPlan.tails(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true,
        DEFAULTS.withWide(ExpertGemmPlan.wideKernel("m192"))), 32, 2880, 2880, true));
    assertNotNull(ExpertGemmPlan.tails(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true,
        DEFAULTS.withWide(ExpertGemmPlan.wideKernel("sb"))), 32, 2880, 2880, true));
    assertTrue(ExpertGemmPlan.tailsEnabled(" ON "));
    assertFalse(ExpertGemmPlan.tailsEnabled(null));
    assertFalse(ExpertGemmPlan.tailsEnabled("auto"));
    ai.gptoss.backend.BackendException e = org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.tailsEnabled("yes"));
    assertTrue(e.getMessage().contains("GPTOSS_CUDA_MOE_TAILS=yes"), e.getMessage());
  }

  /**
   * GPTOSS_CUDA_MOE_SWAP=mid sends fast fused steps on Hopper below the wide range to the three-warpgroup swap-AB kernel
   * (128-row tiles, 192 features, 448 threads); the wide range keeps the wide wgmma (all fused steps with it off), and
   * precise steps, other GPUs, the gemv and dense ranges and shapes it does not serve keep their kernels.
   */
  @Test
  void swapMidTakesFastStepsBelowTheWideRange() {
    ExpertGemmPlan.Switches mid = DEFAULTS.withSwapMid(true);
    // MOE_SWAP_SMEM_T(128, 192, 4): 4 * (128 * 128 + 192 * 32 + 2 * 192) + 1024 = 92,672
    assertLaunch(ExpertGemmPlan.of(128, 4, 32, 2880, 2880, false, true, mid), ExpertGemmPlan.SWAP_MID, 128, 512 / 128 + 32,
        30, 15, 448, 92_672);
    int edge = ExpertGemmPlan.GEMV_MAX_ASSIGNMENTS / 4;
    assertEquals(ExpertGemmPlan.GEMV_TC, ExpertGemmPlan.of(edge, 4, 32, 2880, 2880, false, true, mid).kernel());
    assertEquals(ExpertGemmPlan.SWAP_MID, ExpertGemmPlan.of(edge + 1, 4, 32, 2880, 2880, false, true, mid).kernel());
    assertEquals(ExpertGemmPlan.SWAP_MID, ExpertGemmPlan.of(511, 4, 32, 2880, 2880, false, true, mid).kernel());
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.of(512, 4, 32, 2880, 2880, false, true, mid).kernel());
    assertEquals(ExpertGemmPlan.SWAP_MID, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, mid.withWide(null)).kernel());
    assertTrue(ExpertGemmPlan.of(ExpertGemmPlan.DENSE_MIN_TOKENS, 4, 32, 2880, 2880, false, true, mid).dense());
    assertEquals(ExpertGemmPlan.WGMMA, ExpertGemmPlan.of(128, 4, 32, 2880, 2880, true, true, mid).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(128, 4, 32, 2880, 2880, false, false, mid).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(128, 4, 32, 2880, 2880 + 16, false, true, mid).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(128, 4, 32, 2880, 2880, false, true).kernel());
    // forced: fast on Hopper only
    assertEquals(ExpertGemmPlan.SWAP_MID,
        ExpertGemmPlan.of(1, 4, 32, 2880, 2880, false, true, DEFAULTS.withForced(ExpertGemmPlan.forcedKernel("swap_cw3"))).kernel());
    ai.gptoss.backend.BackendException forcedPrecise = org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(128, 4, 32, 2880, 2880, true, true, DEFAULTS.withForced(ExpertGemmPlan.SWAP_MID)));
    assertTrue(forcedPrecise.getMessage().contains(ExpertGemmPlan.SWAP_MID) && forcedPrecise.getMessage().contains("precise=true"),
        forcedPrecise.getMessage());
    // the switch's values: off (default), on, mid; anything else named
    assertTrue(ExpertGemmPlan.swapMidEnabled("mid"));
    assertTrue(ExpertGemmPlan.swapMidEnabled(" MID "));
    assertTrue(!ExpertGemmPlan.swapEnabled("mid"));
    assertTrue(!ExpertGemmPlan.swapMidEnabled("on"));
    assertTrue(!ExpertGemmPlan.swapMidEnabled(null));
    ai.gptoss.backend.BackendException e = org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.swapMidEnabled("middle"));
    assertTrue(e.getMessage().contains("GPTOSS_CUDA_MOE_SWAP=middle") && e.getMessage().contains("mid"), e.getMessage());
  }

  /**
   * GPTOSS_CUDA_MOE_SWAP=on sends fast steps of the fused range on Hopper to the swap-AB kernel, with its
   * own tiles (192 rows: one per expert of a decode step at batch 1,024 but the most popular) and launch shape; precise steps,
   * other GPUs, the gemv range and the dense range keep their kernels; off (the default) changes nothing.
   */
  @Test
  void swapTakesFastFusedStepsOnHopperWhenOn() {
    assertLaunch(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, beforeWide(null, true).withSwap(true)), ExpertGemmPlan.SWAP,
        192, (4096 + 191) / 192 + 32, 45, 23, 320, ExpertGemmPlan.hopperFastSharedBytes(ExpertGemmPlan.SWAP));
    int edge = ExpertGemmPlan.GEMV_MAX_ASSIGNMENTS / 4;
    assertEquals(ExpertGemmPlan.SWAP, ExpertGemmPlan.of(edge + 1, 4, 32, 2880, 2880, false, true, beforeWide(null, true).withSwap(true)).kernel());
    assertEquals(ExpertGemmPlan.GEMV_TC, ExpertGemmPlan.of(edge, 4, 32, 2880, 2880, false, true, beforeWide(null, true).withSwap(true)).kernel());
    assertEquals(ExpertGemmPlan.GEMV_TC, ExpertGemmPlan.of(1, 4, 32, 2880, 2880, false, true, beforeWide(null, true).withSwap(true)).kernel());
    int many = ExpertGemmPlan.DENSE_MIN_TOKENS;
    assertTrue(ExpertGemmPlan.of(many, 4, 32, 2880, 2880, false, true, beforeWide(null, true).withSwap(true)).dense());
    assertEquals(ExpertGemmPlan.SWAP, ExpertGemmPlan.of(many, 4, 32, 2880, 2880, false, true, beforeWide(null, false).withSwap(true)).kernel());
    // precise steps: wgmma on Hopper, mma.sync elsewhere; fast steps off Hopper: mma.sync
    assertEquals(ExpertGemmPlan.WGMMA, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, beforeWide(null, true).withSwap(true)).kernel());
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false, beforeWide(null, true).withSwap(true)).kernel());
    // shapes it does not serve (an N not a multiple of 64) keep mma.sync
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880 + 16, false, true, beforeWide(null, true).withSwap(true)).kernel());
    // ... and with the wide wgmma on, what a step gets without the swap switch
    assertEquals(ExpertGemmPlan.WGMMA_N256, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880 + 16, false, true, DEFAULTS.withSwap(true)).kernel());
    assertTrue(ExpertGemmPlan.swapFits(2880, 2880));
    assertTrue(!ExpertGemmPlan.swapFits(2880 + 32, 2880));
    // off: the kernels of before
    assertEquals(ExpertGemmPlan.GEMM, ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, beforeWide(null, true)).kernel());
    assertEquals(ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true), ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, true, DEFAULTS.withSwap(false)));
    // forced: every step, fast on Hopper only
    ExpertGemmPlan forced = ExpertGemmPlan.of(1, 4, 32, 2880, 2880, false, true, beforeWide(ExpertGemmPlan.forcedKernel("swap"), true));
    assertEquals(ExpertGemmPlan.SWAP, forced.kernel());
    assertEquals(1 + 4, forced.maxTiles());
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, true, beforeWide(ExpertGemmPlan.SWAP, true)));
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, false, false, beforeWide(ExpertGemmPlan.SWAP, true)));
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class,
        () -> ExpertGemmPlan.of(1024, 4, 32, 2880 + 16, 2880, false, true, beforeWide(ExpertGemmPlan.SWAP, true)));
    assertTrue(ExpertGemmPlan.swapEnabled("on"));
    assertTrue(ExpertGemmPlan.swapEnabled(" 1 "));
    assertTrue(!ExpertGemmPlan.swapEnabled(null));
    assertTrue(!ExpertGemmPlan.swapEnabled("off"));
    assertTrue(!ExpertGemmPlan.swapEnabled("auto"));
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class, () -> ExpertGemmPlan.swapEnabled("fast"));
  }

  /**
   * GPTOSS_CUDA_MOE_SPLIT=on sends fast steps of 1-8 tokens (one tile per expert) to the K-split gemv for both
   * products, with its launch shape (16 features, 128 threads) on the gemv's tiles; precise steps, larger steps and
   * forced kernels keep theirs; off (the default) changes nothing; GPTOSS_CUDA_MOE=gemv_split forces it everywhere.
   */
  @Test
  void splitTakesFastStepsOfAtMostEightTokensWhenOn() {
    ExpertGemmPlan one = ExpertGemmPlan.of(1, 4, 32, 2880, 2880, false, true, beforeWide(null, true).withSplit(true));
    assertEquals(ExpertGemmPlan.GEMV_SPLIT, one.kernel());
    assertEquals(one, one.downProduct());
    assertEquals(ExpertGemmPlan.GEMV_ROWS, one.tileM());
    assertEquals(1 + 4, one.maxTiles());
    assertEquals(360, one.featureBlocks(5760));
    assertEquals(180, one.featureBlocks(2880));
    assertEquals(128, one.threads());
    assertEquals(ExpertGemmPlan.gemvSplitSharedBytes(2880, 1, false), one.sharedBytes());
    ExpertGemmPlan eight = ExpertGemmPlan.of(ExpertGemmPlan.SPLIT_MAX_TOKENS, 4, 32, 2880, 2880, false, false, beforeWide(null, true).withSplit(true));
    assertEquals(ExpertGemmPlan.GEMV_SPLIT, eight.kernel());
    assertEquals(ExpertGemmPlan.gemvSplitSharedBytes(2880, 8, false), eight.sharedBytes());
    assertEquals(32 / 8 + 32, eight.maxTiles());
    assertEquals(ExpertGemmPlan.GEMV_TC,
        ExpertGemmPlan.of(ExpertGemmPlan.SPLIT_MAX_TOKENS + 1, 4, 32, 2880, 2880, false, true, beforeWide(null, true).withSplit(true)).kernel());
    // precise steps keep the kernels of their precision (no lower-precision path)
    assertEquals("bf16_mxfp4w_moe_gemv_r1", ExpertGemmPlan.of(1, 4, 32, 2880, 2880, true, true, beforeWide(null, true).withSplit(true)).kernel());
    assertEquals(ExpertGemmPlan.GEMV_TC, ExpertGemmPlan.of(4, 4, 32, 2880, 2880, true, true, beforeWide(null, true).withSplit(true)).kernel());
    // a forced kernel wins; off: the kernels of before
    assertEquals(ExpertGemmPlan.GEMV_TC,
        ExpertGemmPlan.of(1, 4, 32, 2880, 2880, false, true, beforeWide(ExpertGemmPlan.GEMV_TC, true).withSplit(true)).kernel());
    for (int tokens : new int[] {1, 2, 8, 64, 1024}) {
      for (boolean precise : new boolean[] {false, true}) {
        assertEquals(ExpertGemmPlan.of(tokens, 4, 32, 2880, 2880, precise, true),
            ExpertGemmPlan.of(tokens, 4, 32, 2880, 2880, precise, true, DEFAULTS.withSplit(false)));
      }
    }
    ExpertGemmPlan forced = ExpertGemmPlan.of(1024, 4, 32, 2880, 2880, true, false, beforeWide(ExpertGemmPlan.forcedKernel("gemv_split"), true));
    assertEquals(ExpertGemmPlan.GEMV_SPLIT, forced.kernel());
    assertEquals(4096 / 8 + 32, forced.maxTiles());
    assertEquals(ExpertGemmPlan.gemvSplitSharedBytes(2880, 8, true), forced.sharedBytes());
    assertTrue(ExpertGemmPlan.splitEnabled("on"));
    assertTrue(ExpertGemmPlan.splitEnabled(" TRUE "));
    assertTrue(!ExpertGemmPlan.splitEnabled(null));
    assertTrue(!ExpertGemmPlan.splitEnabled("off"));
    assertTrue(!ExpertGemmPlan.splitEnabled("auto"));
    org.junit.jupiter.api.Assertions.assertThrows(ai.gptoss.backend.BackendException.class, () -> ExpertGemmPlan.splitEnabled("fast"));
  }
}
