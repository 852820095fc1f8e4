// bf16 x MXFP4 grouped GEMM for the experts on Hopper (wgmma, sm_90a only), 256 features per tile, fast only: the
// 256-feature wgmma expert GEMM (moe_gemm_wgmma.cu's bf16_mxfp4w_moe_gemm_wgmma_n256: same arguments, tiles of 128 rows,
// outputs and fused clamped SwiGLU) with the MXFP4 unpack moved from the producer warpgroup to the consumer warpgroups.
// STATUS: compiled, not yet run on a GPU (issue 17 experiment). Opt-in for A/B runs: GPTOSS_CUDA_MOE_WIDE=coop
// (ExpertGemmPlan.WGMMA_COOP); moe_check's gemm_wgmma_coop is this entry.
//
// Why: stall sampling per instruction of bf16_mxfp4w_moe_gemm_wgmma_n256 at decode-1024 (H100, 2026-12-07 22:33Z,
// BENCHMARKS.md "Issue 17, fourth round") puts its bound on the producer: one warp per scheduler runs ~630
// instructions per 64-deep step (unpack ~450) at about one issue in 4 cycles, ~2.7k cycles per step, while the
// consumers' wgmma of a full 128 x 256 x 64 tile needs ~1k and they spend the rest waiting on the full barrier. Here
// the producer only copies (cp.async of A, nibbles and scales; ~100 instructions per step), and the 8 consumer warps
// (2 per scheduler) unpack the next step's tile while the tensor cores run this step's wgmma asynchronously.
//
// Protocol (LS-deep load ring as moe_gemm_wgmma.cu, loads LS - 2 steps ahead; three unpacked tiles B[3]):
// - producer thread, step t: cp.async.wait_group (its copies of step t landed), named barrier 1 among the producers,
//   fence.proxy.async, arrive full[t % LS]; then refill the slot of step t - 2 with step t + LS - 2 once lempty says
//   step t - 2's products are done (its nibbles were unpacked two consumer iterations earlier).
// - consumers, prologue: wait full[0], unpack step 0 into B[0], fence.proxy.async, named barrier 2 among the 256
//   consumers. Iteration s: wgmma(s) from A slot s % LS and B[s % 3], commit; if s + 1 < steps: wait full[s + 1],
//   unpack step s + 1 into B[(s + 1) % 3] while wgmma(s - 1) and wgmma(s) run, fence.proxy.async, wgmma.wait_group 1
//   (this warpgroup's wgmma(s - 1) is done) and one arrival per warp on lempty[(s - 1) % LS], barrier 2 (the tile is
//   whole before anyone's wgmma reads it). B[(s + 1) % 3] was last read by wgmma(s - 2), which both warpgroups saw
//   done (their wait_group 1 in iteration s - 1) before barrier 2 of iteration s - 1: no further wait.
// - A warpgroup whose rows are all past the tile's end (partial tiles) still runs its wgmma, on the zeros cp.async
//   wrote for those rows, and stores nothing: skipping it inside a branch makes ptxas serialize every wgmma (C7518,
//   nvcc 13.1). Epilogue as moe_gemm_wgmma.cu's. ptxas 13.1: 168 registers, no spills (the unpack loop not unrolled).
// Shared memory: LS x (A [128 rows][128 B] + nibbles [256][32 B] + scales [2][256]) + 3 x B [256][128 B] + 1024.
#include "moe_wgmma.cuh"

#define COOP_BN 256
#define COOP_LS 4
#define COOP_SMEM (COOP_LS * (128 * 128 + COOP_BN * WG_LDQ + 2 * COOP_BN) + 3 * COOP_BN * 128 + 1024)  // 199,680

#if defined(MOE_WGMMA_ENABLED)
__device__ __forceinline__ void consumers_sync() { asm volatile("bar.sync 2, 256;\n" ::: "memory"); }

__device__ __forceinline__ void moe_wgmma_coop_tile(const MoeGemmArgs& a) {
  constexpr int BN_ = COOP_BN, LS_ = COOP_LS, P = 128, TILE_M = 128, RD = LS_ - 2;
  constexpr int A_SLOT = TILE_M * 128, Q_SLOT = BN_ * WG_LDQ, S_SLOT = 2 * BN_, B_TILE = BN_ * 128;
  constexpr int AC = TILE_M * 8 / P, QC = 2 * BN_ / P;  // producer: A chunks, MXFP4 blocks (copies) per thread
  constexpr int UC = 2 * BN_ / 256;                     // consumer: MXFP4 blocks unpacked per thread and step
  extern __shared__ unsigned char wg_smem_raw[];
  __shared__ int rowSrc[TILE_M];
  __shared__ int rowDst[TILE_M];
  __shared__ __align__(8) unsigned long long bars[2 * LS_];  // full[LS], lempty[LS]
  const int tile = blockIdx.x;
  if (tile >= *a.numTiles) return;
  const int e = a.tiles[tile * 3], r0 = a.tiles[tile * 3 + 1], r1 = a.tiles[tile * 3 + 2];
  const int n0 = blockIdx.y * BN_;
  if (n0 >= a.N) return;
  const int tid = threadIdx.x;
  const unsigned base = (smem_u32(wg_smem_raw) + 1023u) & ~1023u;
  const unsigned sA = base, sB = sA + LS_ * A_SLOT, sQ = sB + 3 * B_TILE, sS = sQ + LS_ * Q_SLOT;
  unsigned char* gen = wg_smem_raw + (base - smem_u32(wg_smem_raw));
  const unsigned full = smem_u32(&bars[0]), lempty = smem_u32(&bars[LS_]);
  if (tid < TILE_M) {
    wgmma_tile_rows(a, r0, r1, tid, rowSrc, rowDst);
  }
  if (tid == 0) {
    for (int i = 0; i < LS_; i++) {
      mbar_init(full + 8 * i, P);
      mbar_init(lempty + 8 * i, 8);  // lane 0 of every consumer warp
    }
  }
  __syncthreads();
  const int nb = a.K / 32;
  const int steps = (nb + 1) / 2;
  const long long expertRow = (long long)e * a.N;

  if (tid < P) {
    // ---------------- producer: copies only ----------------
    const int p = tid;
    auto issue = [&](int slot, int step) {
      wgmma_copy_rows<P, AC>(a, rowSrc, p, step, sA + slot * A_SLOT, 0, false);
      wgmma_copy_nibbles<P, QC>(a, p, expertRow, n0, nb, step, sQ + slot * Q_SLOT);
      wgmma_copy_scales<BN_>(a, p, e, n0, nb, step, sS + slot * S_SLOT);
    };
#pragma unroll
    for (int st = 0; st < RD; st++) {
      if (st < steps) issue(st, st);
      cp_async_commit();
    }
    for (int t = 0; t < steps; t++) {
      cp_async_wait<RD - 1>();  // this thread's copies of step t have landed
      producers_sync(P);        // ... and everyone's
      fence_proxy_async();      // the A lines -> visible to wgmma
      mbar_arrive(full + 8 * (t % LS_));
      const int nx = t + RD;    // into step t-2's slot once its products are done
      if (nx < steps) {
        if (t >= 2) mbar_wait(lempty + 8 * ((t - 2) % LS_), ((t - 2) / LS_) & 1);
        issue(nx % LS_, nx);
      }
      cp_async_commit();
    }
    cp_async_wait<0>();
  } else {
    // ---------------- consumers: unpack the next step, wgmma this one ----------------
    const int ct = tid - P, wg = ct >> 7, warp = (ct >> 5) & 3, lane = ct & 31;
    const bool active = wg * 64 < r1 - r0;
    auto unpack = [&](int slot, int buf) {
#pragma unroll 1
      for (int i = 0; i < UC; i++) {
        const int id = ct + i * 256, row = id >> 1, half = id & 1;
        wgmma_unpack_block(gen + (sQ - base) + slot * Q_SLOT + id * 16, gen + (sS - base) + slot * S_SLOT + half * BN_ + row,
                           gen + (sB - base) + buf * B_TILE + row * 128, row, half);
      }
    };
    float acc[BN_ / 2];
#pragma unroll
    for (int i = 0; i < BN_ / 2; i++) acc[i] = 0.f;
    mbar_wait(full, 0);
    unpack(0, 0);
    fence_proxy_async();
    consumers_sync();
    for (int s = 0; s < steps; s++) {
      {
        wgmma_fence_regs(acc);
        const unsigned aS = sA + (s % LS_) * A_SLOT + wg * 64 * 128, bS = sB + (s % 3) * B_TILE;
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < 4; kk++) wgmma_slice<BN_, false>(acc, aS + kk * 32, bS + kk * 32);
        wgmma_commit();
        wgmma_fence_regs(acc);
      }
      if (s + 1 < steps) {
        const int nslot = (s + 1) % LS_;
        mbar_wait(full + 8 * nslot, ((s + 1) / LS_) & 1);
        unpack(nslot, (s + 1) % 3);  // while wgmma(s - 1) and wgmma(s) run
        fence_proxy_async();
        wgmma_wait<1>();  // this warpgroup's wgmma(s - 1) is done
        wgmma_fence_regs(acc);
        if (s >= 1 && lane == 0) mbar_arrive(lempty + 8 * ((s - 1) % LS_));
        consumers_sync();
      }
    }
    wgmma_wait<0>();
    wgmma_fence_regs(acc);
    if (!active) return;
    wgmma_epilogue<BN_>(a, acc, rowDst, e, r0, n0, wg, warp, lane);
  }
}
#define MOE_WGMMA_COOP_BODY moe_wgmma_coop_tile(a);
#else
// Built for another architecture (sm_80, plain sm_90): no wgmma. Never planned there; a launch traps rather than leave
// the outputs unwritten (as moe_gemm_wgmma.cu's entries).
#define MOE_WGMMA_COOP_BODY \
  (void)a;                  \
  __trap();
#endif
// Fast only (a.aLo must be 0); grid: x = row tile (128-row tiles), y = ceil(N / 256); 384 threads; COOP_SMEM bytes of
// dynamic shared memory (ExpertGemmPlan.WGMMA_COOP; moe_check: gemm_wgmma_coop).
extern "C" __global__ void __launch_bounds__(384, 1) bf16_mxfp4w_moe_gemm_wgmma_coop(MoeGemmArgs a) { pdl_begin(); MOE_WGMMA_COOP_BODY }
