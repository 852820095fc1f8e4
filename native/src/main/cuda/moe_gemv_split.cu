// bf16 x MXFP4 expert products for steps of 1-8 rows per tile, built to stream the weights at memory
// speed (the twin of moe_gemv_tc.cu: same MoeGemmArgs, tiles of at most GS_ROWS = 8 rows, same math
// and outputs):
//   u[r, n] = sum_k A[r, k] * W_e[n, k] + bias_e[n],   W_e[n, k] = E2M1(nibble) * 2^(scale - 127)
//   mode 0: act[r, i] = SwiGLU(u[r, 2i], u[r, 2i+1]) -> bf16 hi (+ lo), sorted-row order
//   mode 1: y[assign[r], n] = u[r, n]                 -> float
// Why another kernel: the one-token gemvs ran at ~1.1 TB/s, issue-bound (~245 instructions per 16-byte
// block of weights for the CUDA-core gemv) with few loads in flight. Here:
// - Loads: a block = 16 consecutive features of one tile and GS_WARPS warps; warp w takes the w-th of
//   GS_WARPS ranges of K's 32-value MXFP4 blocks and, right after the programmatic wait, issues
//   cp.async copies of ALL its weights (16 features x its range, 16 bytes each) and scales into shared
//   memory, in GS_CHUNKS commit groups, so that every byte the block needs is in flight at once
//   (~24 KB per block, several blocks per SM) and no register holds a load.
// - Math: the tensor cores (mma.sync m16n8k16, weights as A: 16 features x 16 k; the tile's rows as B,
//   column n = row n, unused columns a copy of row 0). ldmatrix.x4 gives lane (g, t) word t of two
//   blocks of A rows g and g + 8 (feature 2g, the gate, and 2g + 1, the up: the SwiGLU pair in one lane).
// - Unpack (e2m1x8): a word of 8 nibbles -> 4 bf16x2 registers in ~17 instructions, half of them on the
//   FMA pipe (mask, IMAD, mask, HFMA2): z = w & 0x000f000f holds nibbles 0 and 4; z * 0x1040 puts
//   copies of each at bits +6 and +12, so that the mask 0x81c081c0 keeps e1 e0 m at bf16 bits 8..6 and
//   the sign at 15 (both halves): the bf16 value E2M1 x 2^-126 (e = 0 codes are subnormals), times
//   2^126 in one fma.rn.bf16x2, exactly (as mxfp4_pair). out[i] = (value i, value i + 4) of the word: the
//   k order inside an mma is free as long as A and B agree, so the rows are staged permuted
//   (8-value chunk [0 4 1 5 2 6 3 7]) and one 16-byte load gives B of both mmas of a block.
// - Scale: per block and feature, on the block's partial sum: C of the block's two mmas (from zero),
//   then acc += 2^(s - 127) * C (exact: a power of two), one FFMA per accumulator.
// The K ranges are summed in shared memory by warp 0 in warp order (deterministic); warp 0 stores.
// Shared memory per warp (GS_WARP_BYTES): weights [16 slots][S][16 B] (feature 2g in slot g, 2g + 1 in
// slot g + 8: A rows g and g + 8; S = the range's blocks made odd, so that the 8 rows of an ldmatrix hit
// distinct banks), scales [blocks][16 features], rows [planes][R][S][64 B] (an odd multiple of 64 bytes
// apart, so that B's loads of two rows do not conflict).
// Grid: x = tile (early exit past *numTiles), y = N / 16; 32 * GS_WARPS threads; MOE_GEMV_SPLIT_SMEM.
#include "gptoss_kernels.h"

#define GS_ROWS 8   // most rows in a tile (n of the mma)
#define GS_FEAT 16  // features per block (m of the mma)
#ifndef GS_WARPS    // (gemv_split_check.cu builds other shapes from the template)
#define GS_WARPS 4  // warps per block: ways K is split
#endif
#ifndef GS_CHUNKS
#define GS_CHUNKS 2 // cp.async commit groups per warp: compute starts when the first has landed
#endif
// MXFP4 blocks of K one warp takes at most, and the odd 16-byte-unit stride of a feature's row (at
// least 3: the weight area, 16 * S * 16 bytes, also carries the warp's 512 bytes of sums at the end).
#define GS_NBW(K, W) (((K) / 32 + (W) - 1) / (W))
#define GS_STRIDE(K, W) ((GS_NBW(K, W) | 1) < 3 ? 3 : (GS_NBW(K, W) | 1))
#define GS_WARP_BYTES(K, W, rows, planes) \
  (GS_STRIDE(K, W) * 256 + GS_NBW(K, W) * 16 + (planes) * (rows) * GS_STRIDE(K, W) * 64)
#define MOE_GEMV_SPLIT_SMEM_T(K, rows, precise, W) ((W) * GS_WARP_BYTES(K, W, rows, (precise) ? 2 : 1))
#define MOE_GEMV_SPLIT_SMEM(K, rows, precise) MOE_GEMV_SPLIT_SMEM_T(K, rows, precise, GS_WARPS)

__device__ __forceinline__ unsigned gs_smem(const void* p) {
  unsigned s;
  asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }\n" : "=r"(s) : "l"(p));
  return s;
}

// 16 bytes global -> shared, asynchronous (sm_80+), L2 only; PF > 0: with the hint that the L2 fetch the
// PF-byte (128 or 256) block around it (the same row's next blocks follow from other lanes).
template <int PF>
__device__ __forceinline__ void gs_cp16(unsigned dst, const void* src) {
  if (PF == 256) asm volatile("cp.async.cg.shared.global.L2::256B [%0], [%1], 16;\n" ::"r"(dst), "l"(src) : "memory");
  else if (PF == 128) asm volatile("cp.async.cg.shared.global.L2::128B [%0], [%1], 16;\n" ::"r"(dst), "l"(src) : "memory");
  else asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(dst), "l"(src) : "memory");
}

// The bulk-copy (TMA) loader of the BULK variant (sm_90; moe_split_check.cu times it against cp.async): one
// cp.async.bulk per feature and chunk on an mbarrier per warp and chunk. The wait is bounded: a copy that never
// lands (it should not) leaves the block's sums wrong, which the check reports, instead of hanging the GPU.
__device__ __forceinline__ void gs_bar_init(unsigned bar) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\nfence.mbarrier_init.release.cluster;\n" ::"r"(bar) : "memory");
#endif
}

__device__ __forceinline__ void gs_bar_expect(unsigned bar, unsigned bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
#endif
}

__device__ __forceinline__ void gs_bulk(unsigned dst, const void* src, unsigned bytes, unsigned bar) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n"
               ::"r"(dst), "l"(src), "r"(bytes), "r"(bar) : "memory");
#else
  __trap();
#endif
}

__device__ __forceinline__ void gs_bar_wait(unsigned bar) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  for (int spin = 0; spin < (1 << 22); spin++) {
    unsigned done;
    asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], 0;\nselp.u32 %0, 1, 0, p;\n}\n"
                 : "=r"(done) : "r"(bar) : "memory");
    if (done) return;
  }
#endif
}

__device__ __forceinline__ void gs_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

// Waits until at most n of this thread's commit groups are pending (n folds to a constant).
__device__ __forceinline__ void gs_wait(int n) {
  if (n <= 0) asm volatile("cp.async.wait_group 0;\n" ::: "memory");
  else if (n == 1) asm volatile("cp.async.wait_group 1;\n" ::: "memory");
  else if (n == 2) asm volatile("cp.async.wait_group 2;\n" ::: "memory");
  else asm volatile("cp.async.wait_group 3;\n" ::: "memory");
}

__device__ __forceinline__ void gs_ldsm_x4(unsigned (&r)[4], unsigned addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

__device__ __forceinline__ void gs_ldsm_x2(unsigned (&r)[2], unsigned addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n" : "=r"(r[0]), "=r"(r[1]) : "r"(addr));
}

__device__ __forceinline__ void gs_mma(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// A word of 8 E2M1 nibbles (value j at bits 4j..4j+3) -> out[i] = bf16x2 (value i, value i + 4), exact.
__device__ __forceinline__ void e2m1x8(unsigned w, unsigned (&out)[4]) {
  const unsigned v = w >> 8;  // values 2, 3, 6, 7 where w has 0, 1, 4, 5
  out[0] = bf16x2_mul(((w & 0x000f000fu) * 0x1040u) & 0x81c081c0u, MXFP4_2P126);
  out[1] = bf16x2_mul(((w & 0x00f000f0u) * 0x0104u) & 0x81c081c0u, MXFP4_2P126);
  out[2] = bf16x2_mul(((v & 0x000f000fu) * 0x1040u) & 0x81c081c0u, MXFP4_2P126);
  out[3] = bf16x2_mul(((v & 0x00f000f0u) * 0x0104u) & 0x81c081c0u, MXFP4_2P126);
}

// One MXFP4 block of the lane's two features (word t of feature 2g in wg, of 2g + 1 in wu) against the
// staged rows at bp (hi; lo at bp + loOff), scaled by the scale bytes sc[0] (2g) and sc[1] (2g + 1).
template <bool PRECISE>
__device__ __forceinline__ void gs_block(float (&acc)[4], unsigned wg, unsigned wu, const unsigned char* bp, int loOff,
                                         const u8* sc, bool oneRow) {
  unsigned u[4], v[4];
  e2m1x8(wg, u);
  e2m1x8(wu, v);
  const unsigned a0[4] = {u[0], v[0], u[1], v[1]}, a1[4] = {u[2], v[2], u[3], v[3]};
  const uint4 bh = *(const uint4*)bp;
  float c[4] = {0.f, 0.f, 0.f, 0.f};
  gs_mma(c, a0, bh.x, bh.y);
  gs_mma(c, a1, bh.z, bh.w);
  if (PRECISE) {
    const uint4 bl = *(const uint4*)(bp + loOff);
    gs_mma(c, a0, bl.x, bl.y);
    gs_mma(c, a1, bl.z, bl.w);
  }
  const float sg = __uint_as_float((unsigned)sc[0] << 23), su = __uint_as_float((unsigned)sc[1] << 23);
  acc[0] = fmaf(sg, c[0], acc[0]);
  acc[2] = fmaf(su, c[2], acc[2]);
  if (!oneRow) {  // one row: every column of B is row 0, so c[1] = c[0] and c[3] = c[2]
    acc[1] = fmaf(sg, c[1], acc[1]);
    acc[3] = fmaf(su, c[3], acc[3]);
  }
}

// The warp's blocks [b0, b1) of its range, two at a time (one ldmatrix.x4), an odd last one alone.
template <bool PRECISE>
__device__ __forceinline__ void gs_range(float (&acc)[4], int b0, int b1, unsigned aBase, const unsigned char* bRow,
                                         int loOff, const u8* sc, bool oneRow) {
  int bb = b0;
  for (; bb + 1 < b1; bb += 2) {
    unsigned w[4];
    gs_ldsm_x4(w, aBase + bb * 16);
    gs_block<PRECISE>(acc, w[0], w[1], bRow + bb * 64, loOff, sc + bb * 16, oneRow);
    gs_block<PRECISE>(acc, w[2], w[3], bRow + (bb + 1) * 64, loOff, sc + (bb + 1) * 16, oneRow);
  }
  if (bb < b1) {
    unsigned w[2];
    gs_ldsm_x2(w, aBase + bb * 16);
    gs_block<PRECISE>(acc, w[0], w[1], bRow + bb * 64, loOff, sc + bb * 16, oneRow);
  }
}

template <int W, int CH, int PF = 0, bool BULK = false>
__device__ __forceinline__ void moe_gemv_split(const MoeGemmArgs& a) {
  extern __shared__ __align__(16) unsigned char gs_dyn[];  // (moe_check.cu-style checks include several kernels)
  __shared__ __align__(8) unsigned long long gs_bars[BULK ? W * CH : 1];
  const int tile = blockIdx.x;
  if (tile >= *a.numTiles) return;
  const int e = a.tiles[tile * 3], r0 = a.tiles[tile * 3 + 1];
  const int R = min(a.tiles[tile * 3 + 2] - r0, GS_ROWS);
  const int n0 = blockIdx.y * GS_FEAT;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int nb = a.K / 32, nbw = (nb + W - 1) / W, S = max(nbw | 1, 3), planes = a.aLo ? 2 : 1;
  const int kb0 = warp * nb / W, cnt = (warp + 1) * nb / W - kb0;  // this warp's blocks of K
  const int warpBytes = S * 256 + nbw * 16 + planes * R * S * 64;
  {  // the host must give the tile's rows room (MOE_GEMV_SPLIT_SMEM); fail loudly rather than drop rows
    unsigned dyn;
    asm("mov.u32 %0, %%dynamic_smem_size;" : "=r"(dyn));
    if ((unsigned)(W * warpBytes) > dyn) __trap();
  }
  unsigned char* const wsm = gs_dyn + warp * warpBytes;  // weights [16 slots][S][16 B]
  unsigned char* const ssm = wsm + S * 256;             // scales [nbw][16 features]
  unsigned char* const rsm = ssm + nbw * 16;            // rows [planes][R][S][4 x 16 B]
  // Chunks of the range (even lengths where possible, so that pairs do not straddle them).
  const int per = ((cnt + CH - 1) / CH + 1) & ~1;
  {
    // lane: feature f = lane % 16 (to A row slot f / 2 + 8 (f % 2)), every other block from lane / 16;
    // lanes f and f + 16 copy 32 contiguous bytes of a feature's row
    const int f = lane & 15, slot = (f >> 1) + 8 * (f & 1);
    const u8* wsrc = a.blocks + (((long long)e * a.N + n0 + f) * nb + kb0) * 16;
    const unsigned wdst = gs_smem(wsm) + slot * S * 16, sdst = gs_smem(ssm);
    const u8* ssrc = a.scalesT + ((long long)e * nb + kb0) * a.N + n0;
    if (BULK) {  // lane 0 sets up the warp's barriers (one per chunk, expecting its bytes); lanes 0-15 copy
      if (lane == 0) {
#pragma unroll
        for (int c = 0; c < CH; c++) {
          const int b0 = min(c * per, cnt), b1 = min(b0 + per, cnt);
          gs_bar_init(gs_smem(&gs_bars[warp * CH + c]));
          gs_bar_expect(gs_smem(&gs_bars[warp * CH + c]), 16u * 16u * (unsigned)(b1 - b0));
        }
      }
      __syncwarp();
    }
#pragma unroll
    for (int c = 0; c < CH; c++) {
      const int b0 = min(c * per, cnt), b1 = min(b0 + per, cnt);
      if (BULK) {
        if (lane < 16 && b1 > b0) gs_bulk(wdst + b0 * 16, wsrc + b0 * 16, 16u * (b1 - b0), gs_smem(&gs_bars[warp * CH + c]));
      } else {
        for (int bb = b0 + (lane >> 4); bb < b1; bb += 2) gs_cp16<PF>(wdst + bb * 16, wsrc + bb * 16);
      }
      for (int bb = b0 + lane; bb < b1; bb += 32) gs_cp16<0>(sdst + bb * 16, ssrc + (long long)bb * a.N);
      gs_commit();
    }
  }
  // The tile's rows over this warp's range, permuted per 8-value chunk to [0 4 1 5 2 6 3 7] (e2m1x8's order).
  const int k8 = cnt * 4;
  for (int i = lane; i < planes * R * k8; i += 32) {
    const int pr = i / k8, c8 = i - pr * k8, r = pr % R;
    const long long row = a.mode == 0 ? a.assign[r0 + r] / a.topK : r0 + r;
    const uint4 v = *(const uint4*)((pr >= R ? a.aLo : a.a) + row * a.K + kb0 * 32 + c8 * 8);
    uint4 o;
    o.x = __byte_perm(v.x, v.z, 0x5410);
    o.y = __byte_perm(v.x, v.z, 0x7632);
    o.z = __byte_perm(v.y, v.w, 0x5410);
    o.w = __byte_perm(v.y, v.w, 0x7632);
    *(uint4*)(rsm + (pr * S + (c8 >> 2)) * 64 + (c8 & 3) * 16) = o;
  }

  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  const int g = lane >> 2, t = lane & 3, mi = lane >> 3;
  // ldmatrix: lane supplies row lane % 8 of matrix mi: A rows 0-7 (mi even) or 8-15 (odd), block + mi / 2
  const unsigned aBase = gs_smem(wsm) + ((lane & 7) + 8 * (mi & 1)) * S * 16 + (mi >> 1) * 16;
  const unsigned char* bRow = rsm + (g < R ? g : 0) * S * 64 + t * 16;  // B column g = row g (row 0 past R)
  const u8* sc = ssm + 2 * g;                                             // scales of features 2g, 2g + 1
  const int loOff = R * S * 64;
  const bool oneRow = R == 1;
#pragma unroll
  for (int c = 0; c < CH; c++) {
    const int b0 = min(c * per, cnt), b1 = min(b0 + per, cnt);
    gs_wait(CH - 1 - c);
    if (BULK) gs_bar_wait(gs_smem(&gs_bars[warp * CH + c]));
    __syncwarp();  // every lane's copies (and the staged rows) visible to the warp
    if (a.aLo) gs_range<true>(acc, b0, b1, aBase, bRow, loOff, sc, oneRow);
    else gs_range<false>(acc, b0, b1, aBase, bRow, loOff, sc, oneRow);
  }
  // the K ranges: warps w > 0 hand their sums to warp 0 through the start of their own (consumed, every
  // copy landed) weight area, and warp 0 adds them in warp order
  if (W > 1) {
    __syncwarp();
    if (warp > 0) *(float4*)(wsm + lane * 16) = make_float4(acc[0], acc[1], acc[2], acc[3]);
    __syncthreads();
    if (warp > 0) return;
#pragma unroll
    for (int s = 1; s < W; s++) {
      const float4 v = *(const float4*)(gs_dyn + s * warpBytes + lane * 16);
      acc[0] += v.x;
      acc[1] += v.y;
      acc[2] += v.z;
      acc[3] += v.w;
    }
  }
  moe_store_fragment(a, e, n0 + 2 * g, r0, R, t, acc, a.assign + r0);
}

extern "C" __global__ void __launch_bounds__(32 * GS_WARPS) bf16_mxfp4w_moe_gemv_split(MoeGemmArgs a) {
  pdl_begin();
  moe_gemv_split<GS_WARPS, GS_CHUNKS>(a);
}
