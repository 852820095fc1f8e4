// bf16 x MXFP4 grouped GEMM for the experts on Hopper tensor cores (wgmma, sm_90a only): the same
// arguments (MoeGemmArgs), tiles/assign protocol (moe_group with tileM = 128), outputs and fused
// clamped SwiGLU as moe_gemm.cu, fast and precise (aLo: A = hi + lo, two products per k slice, act
// written as hi + lo). Its slow twin is bf16_mxfp4w_moe_gemm (moe_gemm.cu, mma.sync, any sm_80+).
// STATUS: checked by moe_check.cu (H100). ExpertGemmPlan takes it for precise steps of 65-4,095 tokens on Hopper
// (decode at batch 1,024: 1.96 ms per layer against moe_gemm.cu's 2.32), and its 256-feature form
// (bf16_mxfp4w_moe_gemm_wgmma_n256) for fast steps of at least 64 rows per expert (1.07 against mma.sync's 1.25 ms).
//
// Math (for each tile: expert e, sorted rows [r0, r1), and each block of BN output features n):
//   u[r, n] = sum_k A[r, k] * W_e[n, k] + bias_e[n],   W_e[n, k] = E2M1(nibble) * 2^(scale - 127)
// mode 0 (gate_up, N = 2I): act[r, i] = gate * sigmoid(1.702 gate) * (up + 1), gate = min(u[2i], limit),
//   up = clamp(u[2i+1], -limit, limit)                          -> bf16 [T*k, I], sorted-row order
// mode 1 (down, N = H): y[assign[r], n] = u[r, n]              -> f32 [T*k, H], (t, j) order
// A rows: mode 0 gathers h[assign[r] / k]; mode 1 reads act[r].
// Bytes: each expert's weights once per row tile (N*K*17/32), A once per feature block; flops 2*rows*N*K.
//
// Design: one CTA = 64 CW rows (CW = 2 consumer warpgroups in production: 128) x BN features (128 or 256 in
// production), K step 64 (one 128-byte line of bf16 per row), warp-specialised, non-persistent (grid as moe_gemm.cu: x
// = row tile, y = BN block).
// - Producer warpgroup(s) 0..PW-1: cp.async the tile's 64 CW gathered A rows of a K step straight into the layout
//   wgmma reads, plus the raw MXFP4 nibbles (BN x 32 bytes) and E8M0 scales, into an LS-deep load ring with RD (LS-1
//   or LS-2) steps in flight. When step t has landed (cp.async.wait_group, then a named barrier among the producers)
//   each producer thread unpacks whole MXFP4 blocks (mxfp4_lut / mxfp4_word from gptoss_kernels.h, exact) into one of
//   two bf16 weight tiles [BN][64], executes fence.proxy.async.shared::cta (its cp.async'd A lines and its st.shared
//   of the unpacked tile become visible to the tensor cores' async proxy) and arrives on the mbarrier full[t % LS].
// - Consumer warpgroups PW .. PW+CW-1 (64 rows each): wait full[t % LS], wgmma.fence, four
//   wgmma.mma_async.sync.aligned.m64nBNk16.f32.bf16.bf16 with A and B both from shared memory, commit_group,
//   wait_group 1 (step t-1's products are done), then lane 0 of each consumer warp arrives on the empty mbarriers of
//   step t-1's load slot and unpacked tile (4 CW arrivals each). The producer refills a load slot / unpacks into a
//   tile only after its empty phase completes. Accumulators: BN/2 float32 per thread. A consumer warpgroup whose 64
//   rows are all past the tile's end (partial tiles) skips its wgmma but keeps the barrier protocol.
// - Shared-memory layouts (tiles 1024-byte aligned): A slot [64 CW rows][128 B], B tile [BN rows][128 B], both
//   K-major; 16-byte chunk c of row r lives at chunk c ^ (r & 7) (the 128-byte swizzle, CUTLASS Swizzle<3,4,3>).
//   Descriptor: start address >> 4 (bits 0-13), leading byte offset 1 (unused for a swizzled K-major operand, bits
//   16-29), stride byte offset 1024 B >> 4 = 64 (8-row groups, bits 32-45), base offset 0, layout type 1 = 128B
//   swizzle (bits 62-63). The k16 slice kk starts 32 kk bytes into each line; the hardware applies the XOR to the
//   final address.
// - Epilogue as moe_gemm.cu (bias, SwiGLU or scatter) from the accumulators, whose m64nN layout is mma.sync's m16n8 C
//   fragment repeated: warp w of the consumer warpgroup holds rows 16w + lane/4 (+8), columns 8j + 2(lane%4) (+1) in
//   d[4j .. 4j+3].
// Variants: template <BN, LS, PW, CW, RP, RC, RD> (production: (128, 4, 1, 2), (256, 4, 1, 2, -, -, 2), (256, 4, 1, 3,
// 32, 160)); moe_check.cu times others. Two CTAs of 384 threads per SM do not fit (85 registers each). Measured (H100,
// moe_check, both products per layer, fast, 2026-12-07 22:33Z): decode at batch 1,024 1,073 us (~190 TFLOP/s). Nsight
// Compute's stall sampling per instruction (scripts/profile-moe-gemm.sh, SOURCE=1) puts the consumers in the full-
// barrier wait for most of it: the producer warpgroup, ~630 instructions per warp per 64-deep step (unpack ~450,
// copies ~100, barriers), issues once in ~4 cycles, ~2.7k cycles per step against ~1k of wgmma. Precise mode (aLo): an
// A-low ring beside the A ring and four more wgmma per step against the same unpacked weights. Checked by moe_check
// (bash scripts/kernel-checks.sh moe_check). Failure signatures: the run hangs = an mbarrier phase or count (rebuild
// moe_check with -DWG_HANG_CHECK: the stuck wait prints block, thread, barrier, parity, then traps); rel_l2 ~ 1 with
// finite values = descriptor / swizzle layout; NaN = unwritten outputs (a tile or warpgroup skipped); rel_l2 a little
// above tol with gemm passing = the tensor cores' accumulation order; "unspecified launch failure" = the trap of a
// build without sm_90a.
#include "moe_wgmma.cuh"

#if defined(MOE_WGMMA_ENABLED)
// The kernel body: BN_ features per tile (128 or 256), an LS_-deep load ring (>= 3), PW_ producer
// warpgroups (1 or 2) then CW_ consumer warpgroups of 64 rows each (production: 2, so 128 rows per tile;
// moe_check's m192 variants: 3, so that an expert of ~128 + a few rows is one tile, not two);
// blockDim.x = 128 * (PW_ + CW_), and the routing must cut tiles of 64 CW_ rows.
// RP_, RC_ (0: as launched): registers per thread the producers give back to (RP_) and the consumers take (RC_), by
// setmaxnreg as CUTLASS does, for accumulators above the launch's even share (m64n256 at 512 threads). The pool is
// the launch's registers x threads: build such an entry with __launch_bounds__(threads, 1) and keep 128 (PW_ RP_ +
// CW_ RC_) within it, or setmaxnreg.inc waits forever (ptxas 13.1, 512 threads, 256 features: consumers 160, which
// leaves the producer 32, enough only with its addresses recomputed at every step: KEEP below).
// RD_ (0: LS_ - 1): steps ahead the producers load. LS_ - 1 refills step t-1's slot, waiting mid-step for its products;
// LS_ - 2 refills step t-2's slot (free since the wait for step t-2's unpacked tile) before unpacking step t.
// SB_: the tile's BN_ biases are staged in shared memory before the mainloop (threads tid < BN_, one each, the load
// issued before the row table's so that their latencies overlap) and the epilogue reads them there (wgmma_epilogue).
template <int BN_, int LS_, int PW_, int CW_ = 2, int RP_ = 0, int RC_ = 0, int RD_ = 0, bool SB_ = false>
__device__ __forceinline__ void moe_wgmma_tile(const MoeGemmArgs& a) {
  constexpr int P = 128 * PW_;            // producer threads
  constexpr int TILE_M = 64 * CW_;        // rows per tile
  constexpr int A_SLOT = TILE_M * 128;    // bytes
  constexpr int Q_SLOT = BN_ * WG_LDQ;
  constexpr int S_SLOT = 2 * BN_;
  constexpr int B_TILE = BN_ * 128;
  // m64n256 as two m64n128 where the launch's even share (65,536 / threads) is below the 154 registers
  // ptxas needs for one (see wgmma_slice): at 512 threads.
  constexpr bool HALVES = BN_ == 256 && 65536 / (128 * (PW_ + CW_)) < 154;
  static_assert((2 * BN_) % P == 0 && (TILE_M * 8) % P == 0, "whole chunks per producer thread");
  static_assert(128 * (PW_ + CW_) >= TILE_M, "one thread per row fills rowSrc / rowDst");
  static_assert(WG_LDQ == 32, "nibble chunk id = 2 row + half at byte 16 id");
  static_assert((RP_ == 0) == (RC_ == 0) && (RP_ * PW_ + RC_ * CW_) * 128 <= 65536 && RP_ % 8 == 0 && RC_ % 8 == 0,
                "setmaxnreg: both or neither, multiples of 8, within an SM's 65,536 registers");
  extern __shared__ unsigned char wg_smem_raw[];
  __shared__ int rowSrc[TILE_M];
  __shared__ int rowDst[TILE_M];
  __shared__ __align__(8) unsigned long long bars[2 * LS_ + 2];  // full[LS], lempty[LS], bempty[2]
  __shared__ __align__(16) float tileBias[SB_ ? BN_ : 2];
  const int tile = blockIdx.x;
  if (tile >= *a.numTiles) return;
  const int e = a.tiles[tile * 3], r0 = a.tiles[tile * 3 + 1], r1 = a.tiles[tile * 3 + 2];
  const int n0 = blockIdx.y * BN_;
  if (n0 >= a.N) return;
  const int tid = threadIdx.x;
  const unsigned base = (smem_u32(wg_smem_raw) + 1023u) & ~1023u;
  const bool precise = a.aLo != nullptr;
  const unsigned sA = base;                       // LS x A_SLOT
  const unsigned sAlo = sA + LS_ * A_SLOT;        // LS x A_SLOT with aLo
  const unsigned sB = sAlo + (precise ? LS_ * A_SLOT : 0);  // 2 x B_TILE
  const unsigned sQ = sB + 2 * B_TILE;            // LS x Q_SLOT
  const unsigned sS = sQ + LS_ * Q_SLOT;          // LS x S_SLOT
  unsigned char* gen = wg_smem_raw + (base - smem_u32(wg_smem_raw));  // generic pointer of `base`
  const unsigned full = smem_u32(&bars[0]), lempty = smem_u32(&bars[LS_]), bempty = smem_u32(&bars[2 * LS_]);
  float bias = 0.f;
  if constexpr (SB_) {
    static_assert(128 * (PW_ + CW_) >= BN_, "one thread per feature stages the tile's biases");
    if (tid < BN_ && n0 + tid < a.N) bias = a.bias[(long long)e * a.N + n0 + tid];
  }
  if (tid < TILE_M) {
    wgmma_tile_rows(a, r0, r1, tid, rowSrc, rowDst);
  }
  if constexpr (SB_) {
    if (tid < BN_) tileBias[tid] = bias;
  }
  if (tid == 0) {
    for (int i = 0; i < LS_; i++) {
      mbar_init(full + 8 * i, P);
      mbar_init(lempty + 8 * i, 4 * CW_);  // lane 0 of every consumer warp
    }
    mbar_init(bempty, 4 * CW_);
    mbar_init(bempty + 8, 4 * CW_);
  }
  __syncthreads();
  const int nb = a.K / 32;
  const int steps = (nb + 1) / 2;
  const long long expertRow = (long long)e * a.N;

  if (tid < P) {
    // ---------------- producers ----------------
    if constexpr (RP_ > 0) regs_dec<RP_>();  // the consumers' accumulators need them
    int p = tid;  // producer thread; re-read at every step by a producer that gave registers back (below)
    constexpr int AC = TILE_M * 8 / P, QC = 2 * BN_ / P;  // A chunks, MXFP4 blocks per thread per step
    // This thread's rows are the same at every step: their sources (step 0) and smem offsets once.
    long long aOff[AC];  // element offset of the chunk at step 0, -1 for rows past the tile's end
    unsigned aDst[AC];
    int aCol[AC];
#pragma unroll
    for (int i = 0; i < AC; i++) {  // A: TILE_M rows x 8 chunks of 16 bytes; chunk id = 8 row + c
      const int id = p + i * P, row = id >> 3, c = id & 7, src = rowSrc[row];
      aOff[i] = src >= 0 ? (long long)src * a.K + c * 8 : -1;
      aCol[i] = c * 8;
      aDst[i] = row * 128 + ((c ^ (row & 7)) << 4);
    }
    const u8* qSrc[QC];
#pragma unroll
    for (int i = 0; i < QC; i++) {  // nibbles: BN rows x 2 blocks of 16 bytes; id = 2 row + half
      const int id = p + i * P, row = id >> 1, half = id & 1;
      qSrc[i] = n0 + row < a.N ? a.blocks + ((expertRow + n0 + row) * nb + half) * 16 : nullptr;
    }
    // A producer that gave registers back (RP_) keeps none of the above across steps (they are then
    // dead): it recomputes them at every step, one shared load of rowSrc per A chunk.
    constexpr bool KEEP = RP_ == 0;
    auto issue = [&](int slot, int step) {
      if constexpr (KEEP) {
#pragma unroll
        for (int i = 0; i < AC; i++) {
          const int k = step * WG_BK + aCol[i];
          const bool ok = aOff[i] >= 0 && k < a.K;
          const long long off = ok ? aOff[i] + step * WG_BK : 0;
          cp_async16(sA + slot * A_SLOT + aDst[i], a.a + off, ok);
          if (precise) cp_async16(sAlo + slot * A_SLOT + aDst[i], a.aLo + off, ok);
        }
#pragma unroll
        for (int i = 0; i < QC; i++) {
          const int id = p + i * P, half = id & 1;
          const bool ok = qSrc[i] != nullptr && step * 2 + half < nb;
          cp_async16(sQ + slot * Q_SLOT + id * 16, ok ? qSrc[i] + step * 32 : a.blocks, ok);
        }
      } else {  // as aOff, aCol, aDst and qSrc above
        wgmma_copy_rows<P, AC>(a, rowSrc, p, step, sA + slot * A_SLOT, sAlo + slot * A_SLOT, precise);
        wgmma_copy_nibbles<P, QC>(a, p, expertRow, n0, nb, step, sQ + slot * Q_SLOT);
      }
      wgmma_copy_scales<BN_>(a, p, e, n0, nb, step, sS + slot * S_SLOT);
    };
    // Unpack step t's nibbles (ring slot) into unpacked tile `buf`: thread p takes whole MXFP4
    // blocks: (row, half) pairs id = p + i * P, id = 2 row + half.
    auto unpack = [&](int slot, int buf) {
#pragma unroll
      for (int i = 0; i < QC; i++) {
        const int id = p + i * P, row = id >> 1, half = id & 1;
        wgmma_unpack_block(gen + (sQ - base) + slot * Q_SLOT + id * 16, gen + (sS - base) + slot * S_SLOT + half * BN_ + row,
                           gen + (sB - base) + buf * B_TILE + row * 128, row, half);
      }
    };
    constexpr int RD = RD_ > 0 ? RD_ : LS_ - 1;
    static_assert(RD == LS_ - 1 || (RD == LS_ - 2 && RD >= 2), "loads LS_ - 1 or LS_ - 2 (>= 2) steps ahead");
#pragma unroll
    for (int st = 0; st < RD; st++) {
      if (st < steps) issue(st, st);
      cp_async_commit();
    }
    for (int t = 0; t < steps; t++) {
      // With few registers (RP_), the compiler must not hoist this thread's addresses out of the loop
      // (it would spill them): p is made opaque at every step, so they are recomputed from it.
      if constexpr (!KEEP) asm volatile("" : "+r"(p));
      const int slot = t % LS_;
      cp_async_wait<RD - 1>();  // this thread's copies of step t have landed
      producers_sync(P);      // ... and everyone's (the nibbles and scales are shared)
      if (t >= 2) mbar_wait(bempty + 8 * (t & 1), ((t - 2) >> 1) & 1);  // step t-2's tile is free
      const int nx = t + RD;
      if constexpr (RD == LS_ - 2) {  // into step t-2's slot: its products are done (the wait above)
        if (nx < steps) issue(nx % LS_, nx);
        cp_async_commit();
      }
      unpack(slot, t & 1);
      fence_proxy_async();    // A lines and the unpacked tile -> visible to wgmma
      mbar_arrive(full + 8 * slot);
      if constexpr (RD == LS_ - 1) {  // into step t-1's slot once its products are done
        if (nx < steps) {
          if (t >= 1) mbar_wait(lempty + 8 * ((t - 1) % LS_), ((t - 1) / LS_) & 1);
          issue(nx % LS_, nx);
        }
        cp_async_commit();
      }
    }
    cp_async_wait<0>();
  } else {
    // ---------------- consumers ----------------
    if constexpr (RC_ > 0) regs_inc<RC_>();  // waits until the producers have given theirs back
    const int ct = tid - P, wg = ct >> 7, warp = (ct >> 5) & 3, lane = ct & 31;  // wg < CW_: rows 64 wg ..
    const bool active = wg * 64 < r1 - r0;  // a warpgroup past the tile's last row has no products
    float acc[BN_ / 2];
#pragma unroll
    for (int i = 0; i < BN_ / 2; i++) acc[i] = 0.f;
    for (int s = 0; s < steps; s++) {
      const int slot = s % LS_;
      mbar_wait(full + 8 * slot, (s / LS_) & 1);
      if (active) {
        wgmma_fence_regs(acc);
        const unsigned aS = sA + slot * A_SLOT + wg * 64 * 128, bS = sB + (s & 1) * B_TILE;
        if (!precise) {
          wgmma_fence();
#pragma unroll
          for (int kk = 0; kk < 4; kk++) wgmma_slice<BN_, HALVES>(acc, aS + kk * 32, bS + kk * 32);
          wgmma_commit();
        } else {  // A = hi + lo: the low part against the same weights
          const unsigned aL = aS + (sAlo - sA);
          wgmma_fence();
#pragma unroll
          for (int kk = 0; kk < 4; kk++) {
            wgmma_slice<BN_, HALVES>(acc, aS + kk * 32, bS + kk * 32);
            wgmma_slice<BN_, HALVES>(acc, aL + kk * 32, bS + kk * 32);
          }
          wgmma_commit();
        }
        wgmma_fence_regs(acc);
        wgmma_wait<1>();  // step s-1's products are done: its slot and tile may be refilled
        wgmma_fence_regs(acc);
      }
      if (s >= 1 && lane == 0) {
        mbar_arrive(lempty + 8 * ((s - 1) % LS_));
        mbar_arrive(bempty + 8 * ((s - 1) & 1));
      }
    }
    wgmma_wait<0>();
    wgmma_fence_regs(acc);
    if (!active) return;
    wgmma_epilogue<BN_, SB_>(a, acc, rowDst, e, r0, n0, wg, warp, lane, tileBias);
  }
}
#endif  // sm_90a

#if defined(MOE_WGMMA_ENABLED)
#define MOE_WGMMA_BODY(bn, ls, pw) moe_wgmma_tile<bn, ls, pw>(a);
#define MOE_WGMMA_BODY_CW(bn, ls, pw, cw, rp, rc) moe_wgmma_tile<bn, ls, pw, cw, rp, rc>(a);
#define MOE_WGMMA_BODY_RD(bn, ls, cw, rd) moe_wgmma_tile<bn, ls, 1, cw, 0, 0, rd>(a);
#define MOE_WGMMA_BODY_SB(bn, ls, cw, rd) moe_wgmma_tile<bn, ls, 1, cw, 0, 0, rd, true>(a);
#else
// Built for another architecture (sm_80, plain sm_90): no wgmma. Never planned there; a launch traps
// rather than leave the outputs unwritten.
#define MOE_WGMMA_BODY(bn, ls, pw) \
  (void)a;                         \
  __trap();
#define MOE_WGMMA_BODY_CW(bn, ls, pw, cw, rp, rc) MOE_WGMMA_BODY(bn, ls, pw)
#define MOE_WGMMA_BODY_RD(bn, ls, cw, rd) MOE_WGMMA_BODY(bn, ls, 1)
#define MOE_WGMMA_BODY_SB(bn, ls, cw, rd) MOE_WGMMA_BODY(bn, ls, 1)
#endif

// Production shape: 128 x 128 tile, 4-deep load ring, one producer warpgroup, 384 threads, one CTA per
// SM (114 KB of shared memory fast, 178 KB precise; 104 registers per thread, no spills, nvcc 13.0). Grid: x = row tile
// (maxTiles), y = ceil(N / 128); 384 threads; MOE_WGMMA_SMEM(a.aLo != null) bytes of dynamic shared memory.
extern "C" __global__ void __launch_bounds__(384, 1) bf16_mxfp4w_moe_gemm_wgmma(MoeGemmArgs a) { pdl_begin(); MOE_WGMMA_BODY(128, 4, 1) }
// 256 features per tile, fast only (precise would need 233 KB of shared memory), loads 2 steps ahead: fast steps of >= 64
// rows per expert (ExpertGemmPlan.WGMMA_N256; moe_check: gemm_wgmma_n256). Grid: x = row tile, y = ceil(N / 256); 384
// threads; MOE_WGMMA_SMEM_T(256, 4, false) = 166,912 bytes of dynamic shared memory.
extern "C" __global__ void __launch_bounds__(384, 1) bf16_mxfp4w_moe_gemm_wgmma_n256(MoeGemmArgs a) { pdl_begin(); MOE_WGMMA_BODY_RD(256, 4, 2, 2) }
// 192-row tiles of 256 features, fast only (GPTOSS_CUDA_MOE=wgmma_n256_m192; moe_check: gemm_wgmma_n256_m192): an expert
// of ~128 + a few rows is one tile. 512 threads (producer setmaxnreg 32, three consumer warpgroups 160);
// MOE_WGMMA_SMEM_CW(256, 4, 3, false) = 199,680 bytes; the routing cuts tiles of 192 rows.
extern "C" __global__ void __launch_bounds__(512, 1) bf16_mxfp4w_moe_gemm_wgmma_n256_m192(MoeGemmArgs a) { pdl_begin(); MOE_WGMMA_BODY_CW(256, 4, 1, 3, 32, 160) }
// The 256-feature entry as it was until 2026-12-07, loading 3 steps ahead (4-5% slower in moe_check on an H100 at every
// shape; 1,024^3 through the engine 15,222 against 15,537 tok/s): GPTOSS_CUDA_MOE_WIDE=rd3 (A/B runs), moe_check's _rd3.
extern "C" __global__ void __launch_bounds__(384, 1) bf16_mxfp4w_moe_gemm_wgmma_n256_rd3(MoeGemmArgs a) { pdl_begin(); MOE_WGMMA_BODY(256, 4, 1) }
// The production 256-feature entry with its biases staged in shared memory for the epilogue (SB_ of moe_wgmma_tile;
// 1 KB of static shared memory more): GPTOSS_CUDA_MOE_WIDE=sb (A/B runs), moe_check's gemm_wgmma_n256_sb.
extern "C" __global__ void __launch_bounds__(384, 1) bf16_mxfp4w_moe_gemm_wgmma_n256_sb(MoeGemmArgs a) { pdl_begin(); MOE_WGMMA_BODY_SB(256, 4, 2, 2) }
