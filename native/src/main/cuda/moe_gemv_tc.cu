// Measured (moe_check.cu, H100, 2026-11-26 23:15Z, gpt-oss-20b shapes, both products per layer, fast):
//   tokens 1: 53.6 us (the CUDA-core gemv 53.3); 2: 76.4 (83.8); 8: 186 (290); 32: 253 (610); 64: 352
//   (1,019; the mma.sync gemm 643). ExpertGemmPlan takes it for 2-64 tokens; one token keeps the
//   CUDA-core gemv. The prediction of 20-25 us at one token (memory-bound at ~2.7 TB/s) did not hold:
//   no shape of TC_KSPLIT 2/4/8 x TC_PF 2/3/4 beat 51.6 us (BENCHMARKS.md), ~1 TB/s like the gemv.
//   Variants: moe_check.cu built with -DTC_KSPLIT=.. -DTC_PF=.. (the defines below are defaults).
//
// bf16 x MXFP4 expert products for steps with 1-8 rows per tile on the tensor cores (the twin of
// moe_gemv.cu: same MoeGemmArgs, tiles of at most TC_ROWS = 8 rows, same outputs and math):
//   u[r, n] = sum_k A[r, k] * W_e[n, k] + bias_e[n],   W_e[n, k] = E2M1(nibble) * 2^(scale - 127)
//   mode 0: act[r, i] = SwiGLU(u[r, 2i], u[r, 2i+1]) -> bf16 hi (+ lo), sorted-row order
//   mode 1: y[assign[r], n] = u[r, n]                 -> float
// The weights are the mma.sync m16n8k16 A operand (16 features x 16 k) and the tile's rows the B
// operand (k16 x n8; rows >= R are zero), so ONE mma covers every row of a tile and a weight costs
// its unpack and no float conversion or FMA. C accumulates in float32.
//
// Layout of the work: a block = 8 warps = TC_FB = 64 consecutive output features x TC_KSPLIT = 2
// halves of K; a warp owns 16 features and every other group of 4 MXFP4 blocks (128 k).
// Lane (g = lane / 4, t = lane % 4) loads, per group G, the whole 16-byte block 4G + t of two
// features (one LDG.128 each; the 4 lanes of a feature read 64 contiguous bytes) and the two
// scale bytes (adjacent in scalesT: one 16-bit load). The k order inside an mma is free as long as
// A and B agree, so lane t's logical k (2t, 2t+1 | 2t+8, 2t+9) of mma 2q and 2q+1 stand for
// physical k 32(4G+t) + 8q + (0,1 | 2,3) and + (4,5 | 6,7): mxfp4_word of word q of the block gives
// out[0..3] = exactly those four bf16x2 registers, and the matching B fragment of lane (g, t) is
// act[row g][32(4G+t) + 8q .. +7], one 16-byte shared-memory load per q (b = .x,.y then .z,.w).
// Scale: applied inside the lookup table (mxfp4_lut(s) per feature and block, exact), not to a
// per-block partial C: within one mma the four t lanes hold four DIFFERENT blocks (that is what
// makes the loads whole 16-byte blocks with no shuffles), so no single scale applies to C.
// The tables cost ~11 instructions per 32 values, ~0.35 per weight.
// SwiGLU pairing: A row g stands for feature nw + 2g (gate; nw = the warp's first feature) and A
// row g + 8 for nw + 2g + 1 (up),
// so lane (g, t) ends with c0, c1 = gate of rows 2t, 2t+1 and c2, c3 = their up: the pair is in one
// lane and the epilogue needs no shuffle (mode 1 stores (c0, c2) as one float2).
// Precise mode (aLo): B as hi and lo, two mma per A fragment. Prefetch: a ring of TC_PF groups in
// registers (2 x 16 + 2 bytes per lane each). The two K halves are summed through shared memory.
// Shared memory: the tile's rows as bf16, [planes][R][U] 16-byte units, unit of 8-value chunk c at
// c + c / 8 and U = 2 (mod 8) so the 8 lanes of a quarter warp hit distinct banks
// (MOE_GEMV_TC_SMEM). Bytes: each tile reads its expert's weights (N*K*17/32) once; A once per block.
// Flops 2*8*N*K per tile on tensor cores (whatever R), twice with aLo.
// Grid: x = tile (early exit past *numTiles), y = N / TC_FB; 256 threads.
#include "gptoss_kernels.h"

#define TC_ROWS 8     // most rows in a tile (n of the mma)
#ifndef TC_KSPLIT     // (moe_check.cu builds variants with -D)
#define TC_KSPLIT 2   // warps per 16 features (K split)
#endif
#ifndef TC_PF
#define TC_PF 3       // groups of 4 MXFP4 blocks in flight per warp (79-80 registers; 4 spills at 3 blocks per SM)
#endif
#define TC_FB (16 * 8 / TC_KSPLIT)  // features per block
// 16-byte units per staged row: K/8 chunks + one pad unit per 8, rounded up to 2 (mod 8).
#define TC_UNITS(K) (((K) / 8 + ((K) / 8 + 7) / 8 + 5) / 8 * 8 + 2)
#define MOE_GEMV_TC_SMEM(K, rows, precise) (((precise) ? 2 : 1) * (rows) * TC_UNITS(K) * 16)

__device__ __forceinline__ void tc_mma(float* c, const unsigned* a, unsigned b0, unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Group i of this warp (MXFP4 blocks 4 (kw + i TC_KSPLIT) + 0..3; lane t takes the block + t) of the
// lane's two features: both 16-byte blocks and the two scale bytes; zeros (scale 127) past the end.
struct TcSrc {
  const uint4* w;  // feature nw + 2g's blocks; feature nw + 2g + 1's follow at + nb
  const u8* s;     // scalesT of expert e at feature nw + 2g (block b at + b N)
  int nb, N, kw, t, ng;
};

__device__ __forceinline__ void tc_load(const TcSrc& src, int i, uint4& wg, uint4& wh, unsigned& sc) {
  const int blk = 4 * (src.kw + i * TC_KSPLIT) + src.t;
  const bool ok = i < src.ng && blk < src.nb;
  const uint4 zero = make_uint4(0, 0, 0, 0);
  wg = ok ? __ldg(src.w + blk) : zero;
  wh = ok ? __ldg(src.w + src.nb + blk) : zero;
  sc = ok ? __ldg((const unsigned short*)(src.s + (long long)blk * src.N)) : 0x7f7fu;
}

// The main loop over the warp's groups; the ring (wg, wh, sc) arrives with groups 0..TC_PF-1 loaded.
template <bool PRECISE>
__device__ __forceinline__ void moe_gemv_tc_body(const TcSrc& src, float (&acc)[2][4], uint4 (&wg)[TC_PF],
                                                 uint4 (&wh)[TC_PF], unsigned (&sc)[TC_PF], int R,
                                                 const uint4* As, int U) {
  const int lane = threadIdx.x & 31, g = lane >> 2;
  const uint4 zero = make_uint4(0, 0, 0, 0);
  const bool rowOk = g < R;   // rows >= R of B are zero
  const uint4* bRow = As + g * U;
  for (int i0 = 0; i0 < src.ng; i0 += TC_PF) {
#pragma unroll
    for (int p = 0; p < TC_PF; p++) {
      const int i = i0 + p;
      if (i < src.ng) {
        const int blk = 4 * (src.kw + i * TC_KSPLIT) + src.t;
        const bool ok = rowOk && blk < src.nb;
        const uint4* bp = bRow + 4 * blk + (blk >> 1);  // unit of chunk 4 blk: c + c / 8
        uint4 bh[4], bl[4];
#pragma unroll
        for (int q = 0; q < 4; q++) {
          bh[q] = ok ? bp[q] : zero;
          if (PRECISE) bl[q] = ok ? bp[q + R * U] : zero;
        }
        const Mxfp4Lut tg = mxfp4_lut(sc[p] & 0xffu), th = mxfp4_lut(sc[p] >> 8);
        const unsigned xg[4] = {wg[p].x, wg[p].y, wg[p].z, wg[p].w}, xh[4] = {wh[p].x, wh[p].y, wh[p].z, wh[p].w};
#pragma unroll
        for (int q = 0; q < 4; q++) {
          unsigned og[4], oh[4];
          mxfp4_word(xg[q], tg, og);
          mxfp4_word(xh[q], th, oh);
          const unsigned a0[4] = {og[0], oh[0], og[1], oh[1]}, a1[4] = {og[2], oh[2], og[3], oh[3]};
          tc_mma(acc[0], a0, bh[q].x, bh[q].y);
          tc_mma(acc[1], a1, bh[q].z, bh[q].w);
          if (PRECISE) {
            tc_mma(acc[0], a0, bl[q].x, bl[q].y);
            tc_mma(acc[1], a1, bl[q].z, bl[q].w);
          }
        }
      }
      tc_load(src, i + TC_PF, wg[p], wh[p], sc[p]);  // refill this slot
    }
  }
}

extern "C" __global__ void __launch_bounds__(256, 3) bf16_mxfp4w_moe_gemv_tc(MoeGemmArgs a) {
  pdl_begin();
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int rowDst[TC_ROWS];
  __shared__ float4 red[TC_KSPLIT - 1][8 / TC_KSPLIT][32];
  const int tile = blockIdx.x;
  if (tile >= *a.numTiles) return;
  const int e = a.tiles[tile * 3], r0 = a.tiles[tile * 3 + 1];
  const int R = min(a.tiles[tile * 3 + 2] - r0, TC_ROWS);
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int fw = warp % (8 / TC_KSPLIT), kw = warp / (8 / TC_KSPLIT);
  const int nw = blockIdx.y * TC_FB + fw * 16;  // this warp's first feature
  const bool active = nw < a.N;                 // N is a multiple of 16
  const int U = TC_UNITS(a.K), planes = a.aLo ? 2 : 1;
  // The ring's first loads go out before the staging below, so their latency overlaps it.
  TcSrc src;
  {
    const int g = lane >> 2, nb = a.K / 32, groups = (nb + 3) / 4;
    src.w = (const uint4*)(a.blocks + ((long long)e * a.N + min(nw, a.N - 16) + 2 * g) * nb * 16);
    src.s = a.scalesT + (long long)e * nb * a.N + min(nw, a.N - 16) + 2 * g;
    src.nb = nb;
    src.N = a.N;
    src.kw = kw;
    src.t = lane & 3;
    src.ng = active && groups > kw ? (groups - kw + TC_KSPLIT - 1) / TC_KSPLIT : 0;  // this warp's groups
  }
  uint4 wg[TC_PF], wh[TC_PF];
  unsigned sc[TC_PF];
#pragma unroll
  for (int p = 0; p < TC_PF; p++) tc_load(src, p, wg[p], wh[p], sc[p]);
  {  // the host must give the tile's rows room (MOE_GEMV_TC_SMEM); fail loudly rather than drop rows
    unsigned dyn;
    asm("mov.u32 %0, %%dynamic_smem_size;" : "=r"(dyn));
    if ((unsigned)(planes * R * U * 16) > dyn) __trap();
  }
  uint4* As = (uint4*)smem;
  if (tid < TC_ROWS) rowDst[tid] = tid < R ? a.assign[r0 + tid] : -1;
  __syncthreads();
  const int k8 = a.K / 8;
  for (int i = tid; i < R * k8; i += 256) {
    const int r = i / k8, c = i % k8;
    const long long from = (long long)(a.mode == 0 ? rowDst[r] / a.topK : r0 + r) * a.K + c * 8;
    As[r * U + c + (c >> 3)] = *(const uint4*)(a.a + from);
    if (a.aLo) As[(R + r) * U + c + (c >> 3)] = *(const uint4*)(a.aLo + from);
  }
  __syncthreads();

  float acc[2][4] = {{0.f, 0.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}};
  if (a.aLo) moe_gemv_tc_body<true>(src, acc, wg, wh, sc, R, As, U);
  else moe_gemv_tc_body<false>(src, acc, wg, wh, sc, R, As, U);
  float c[4];
#pragma unroll
  for (int j = 0; j < 4; j++) c[j] = acc[0][j] + acc[1][j];
  // the K halves: warps kw > 0 hand their sums to warp kw = 0 of the same features
  if (kw > 0) red[kw - 1][fw][lane] = make_float4(c[0], c[1], c[2], c[3]);
  __syncthreads();
  if (kw > 0 || !active) return;
#pragma unroll
  for (int s = 0; s < TC_KSPLIT - 1; s++) {
    const float4 v = red[s][fw][lane];
    c[0] += v.x;
    c[1] += v.y;
    c[2] += v.z;
    c[3] += v.w;
  }
  const int g = lane >> 2, t = lane & 3;
  moe_store_fragment(a, e, nw + 2 * g, r0, R, t, c, rowDst);
}
