// bf16 x MXFP4 expert products for steps with few rows per expert (the weight-streaming twin of
// bf16_mxfp4w_moe_gemm, same MoeGemmArgs and outputs). The step is grouped with tiles of at most
// GV_ROWS rows (moe_group tileM = GV_ROWS); each block takes one tile and GV_FB = 32 consecutive
// output features, stages the tile's activation rows (hi + lo as float32) in shared memory, and
// each warp owns 4 features (mode 0: two gate/up pairs, so the SwiGLU is fused in the warp). Lanes
// stride over the K/32 MXFP4 blocks of those features with one 16-byte load per block and feature,
// unpack in registers (mxfp4_pair: exact bf16), FMA in float32 against every row of the tile, and
// the warp reduces at the end. Math, outputs and the clamped SwiGLU are those of moe_gemm.cu:
//   u[r, n] = sum_k A[r, k] * W_e[n, k] + bias_e[n]
//   mode 0: act[r, i] = SwiGLU(u[r, 2i], u[r, 2i+1]) -> bf16 hi (+ lo), sorted-row order
//   mode 1: y[assign[r], n] = u[r, n]                 -> float
// Bytes: each tile reads its expert's weights (N*K*17/32) once, from L2 when the tiles of one
// expert run together (grid x = tile, so they are adjacent); A once per block. Flops: 2*rows*N*K
// on CUDA cores (no tensor cores): memory-bound for a few rows per tile.
// Shared memory: the block's scales [K/32][32], then A as float [ROWS][K/32][36] (a 32-value block
// padded to 36 so that lanes reading consecutive blocks with 16-byte loads do not conflict).
// ROWS variants: a tile holds at most min(GV_ROWS, T) rows (a token picks an expert once), so steps
// of 1, 2 or 4 tokens run bf16_mxfp4w_moe_gemv_r1/_r2/_r4, which keep fewer accumulators and less
// shared memory and so fit more blocks per SM (single stream: 8 instead of 2).
// Grid: x = tile (early exit past *numTiles), y = N / GV_FB feature blocks; 256 threads.
#include "gptoss_kernels.h"

#define GV_ROWS 8   // most rows in a tile
#define GV_FEAT 4   // features per warp
#define GV_WARPS 8
#define GV_FB (GV_FEAT * GV_WARPS)
#define GV_BLK 36   // floats per padded 32-value block of A
#define MOE_GEMV_SMEM_R(K, ROWS) ((ROWS) * ((K) / 32) * GV_BLK * 4 + ((K) / 32) * GV_FB)
#define MOE_GEMV_SMEM(K) MOE_GEMV_SMEM_R(K, GV_ROWS)

template <int ROWS>
__device__ __forceinline__ void moe_gemv(const MoeGemmArgs& a) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int rowDst[ROWS];
  const int tile = blockIdx.x;
  if (tile >= *a.numTiles) return;
  const int e = a.tiles[tile * 3], r0 = a.tiles[tile * 3 + 1];
  const int R = min(a.tiles[tile * 3 + 2] - r0, ROWS);
  const int n0 = blockIdx.y * GV_FB;
  const int nb = a.K / 32;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  // The first weight loads go out before the staging below, so their latency overlaps it.
  const int nw = n0 + warp * GV_FEAT;  // this warp's first feature
  // the warp's features are consecutive rows of [E, N, K/32] blocks (N is a multiple of GV_FEAT)
  const uint4* wp = (const uint4*)(a.blocks + ((long long)e * a.N + min(nw, a.N - GV_FEAT)) * nb * 16);
  uint4 cur[GV_FEAT], nxt[GV_FEAT];
#pragma unroll
  for (int f = 0; f < GV_FEAT; f++) cur[f] = lane < nb && nw < a.N ? __ldg(wp + f * nb + lane) : make_uint4(0, 0, 0, 0);
  u8* Ss = smem;
  float* As = (float*)(smem + ((nb * GV_FB + 15) & ~15));
  if (tid < ROWS) rowDst[tid] = tid < R ? a.assign[r0 + tid] : -1;
  // The block's scales, 16 at a time (N is a multiple of 16, so a half block past N is whole).
  for (int i = tid; i < nb * (GV_FB / 16); i += 256) {
    int blk = i / (GV_FB / 16), f = (i % (GV_FB / 16)) * 16;
    uint4 v = make_uint4(0x7f7f7f7fu, 0x7f7f7f7fu, 0x7f7f7f7fu, 0x7f7f7f7fu);
    if (n0 + f < a.N) v = __ldg((const uint4*)(a.scalesT + ((long long)e * nb + blk) * a.N + n0 + f));
    *(uint4*)(Ss + blk * GV_FB + f) = v;
  }
  __syncthreads();
  const int k8 = a.K / 8;
  for (int i = tid; i < R * k8; i += 256) {
    int r = i / k8, k = (i % k8) * 8;
    int dst = rowDst[r];
    long long src = (long long)(a.mode == 0 ? dst / a.topK : r0 + r) * a.K + k;
    uint4 hi = *(const uint4*)(a.a + src);
    uint4 lo = a.aLo ? *(const uint4*)(a.aLo + src) : make_uint4(0, 0, 0, 0);
    const unsigned h[4] = {hi.x, hi.y, hi.z, hi.w}, l[4] = {lo.x, lo.y, lo.z, lo.w};
    float v[8];
#pragma unroll
    for (int q = 0; q < 4; q++) {
      v[2 * q] = __uint_as_float(h[q] << 16) + __uint_as_float(l[q] << 16);
      v[2 * q + 1] = __uint_as_float(h[q] & 0xffff0000u) + __uint_as_float(l[q] & 0xffff0000u);
    }
    float4* d = (float4*)(As + (r * nb + k / 32) * GV_BLK + k % 32);
    d[0] = make_float4(v[0], v[1], v[2], v[3]);
    d[1] = make_float4(v[4], v[5], v[6], v[7]);
  }
  __syncthreads();

  float acc[GV_FEAT][ROWS];
#pragma unroll
  for (int f = 0; f < GV_FEAT; f++)
#pragma unroll
    for (int r = 0; r < ROWS; r++) acc[f][r] = 0.f;
  if (nw < a.N) {
    for (int b = lane; b < nb; b += 32) {
#pragma unroll
      for (int f = 0; f < GV_FEAT; f++) nxt[f] = b + 32 < nb ? __ldg(wp + f * nb + b + 32) : make_uint4(0, 0, 0, 0);
      if constexpr (ROWS <= 4) {
        // Feature by feature with the lookup-table unpack (the block scale folded into the tables);
        // per (feature, row) the products are summed in the same order as below. The 8-row variant
        // keeps the multiply unpack (mxfp4_pair) word by word: four tables at once would not fit its
        // registers (125 of 128), and feature by feature would read its 8 activation rows 4 times.
#pragma unroll
        for (int f = 0; f < GV_FEAT; f++) {
          const Mxfp4Lut lut = mxfp4_lut(Ss[b * GV_FB + warp * GV_FEAT + f]);
          const unsigned words[4] = {cur[f].x, cur[f].y, cur[f].z, cur[f].w};
#pragma unroll
          for (int q = 0; q < 4; q++) {  // word q: k = 32b + 8q .. +7
            unsigned o[4];
            mxfp4_word(words[q], lut, o);
            float w[8];
#pragma unroll
            for (int j = 0; j < 4; j++) {
              w[2 * j] = __uint_as_float(o[j] << 16);
              w[2 * j + 1] = __uint_as_float(o[j] & 0xffff0000u);
            }
#pragma unroll
            for (int r = 0; r < ROWS; r++) {
              if (r < R) {
                const float4* ap = (const float4*)(As + (r * nb + b) * GV_BLK + q * 8);
                float4 x0 = ap[0], x1 = ap[1];
                const float x[8] = {x0.x, x0.y, x0.z, x0.w, x1.x, x1.y, x1.z, x1.w};
#pragma unroll
                for (int j = 0; j < 8; j++) acc[f][r] = fmaf(w[j], x[j], acc[f][r]);
              }
            }
          }
        }
      } else {
        unsigned sc2[GV_FEAT];
#pragma unroll
        for (int f = 0; f < GV_FEAT; f++) sc2[f] = mxfp4_scale2(Ss[b * GV_FB + warp * GV_FEAT + f]);
#pragma unroll
        for (int q = 0; q < 4; q++) {  // word q: k = 32b + 8q .. +7
          float w[GV_FEAT][8];
#pragma unroll
          for (int f = 0; f < GV_FEAT; f++) {
            const unsigned word = q == 0 ? cur[f].x : q == 1 ? cur[f].y : q == 2 ? cur[f].z : cur[f].w;
#pragma unroll
            for (int j = 0; j < 4; j++) {
              unsigned p = mxfp4_pair(word, j, sc2[f]);
              w[f][2 * j] = __uint_as_float(p << 16);
              w[f][2 * j + 1] = __uint_as_float(p & 0xffff0000u);
            }
          }
#pragma unroll
          for (int r = 0; r < ROWS; r++) {
            if (r < R) {
              const float4* ap = (const float4*)(As + (r * nb + b) * GV_BLK + q * 8);
              float4 x0 = ap[0], x1 = ap[1];
              const float x[8] = {x0.x, x0.y, x0.z, x0.w, x1.x, x1.y, x1.z, x1.w};
#pragma unroll
              for (int f = 0; f < GV_FEAT; f++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[f][r] = fmaf(w[f][j], x[j], acc[f][r]);
            }
          }
        }
      }
#pragma unroll
      for (int f = 0; f < GV_FEAT; f++) cur[f] = nxt[f];
    }
  }
  // reduce over lanes; lane r keeps row r's GV_FEAT sums
  float mine[GV_FEAT];
#pragma unroll
  for (int f = 0; f < GV_FEAT; f++) mine[f] = 0.f;
#pragma unroll
  for (int r = 0; r < ROWS; r++) {
    if (r < R) {
#pragma unroll
      for (int f = 0; f < GV_FEAT; f++) {
        float v = warp_sum(acc[f][r]);
        if (lane == r) mine[f] = v;
      }
    }
  }
  if (lane >= R || nw >= a.N) return;
  const float* bias = a.bias + (long long)e * a.N;
  const int dst = rowDst[lane];
  if (a.mode == 0) {
#pragma unroll
    for (int p = 0; p < GV_FEAT / 2; p++) {
      int n = nw + 2 * p;
      if (n >= a.N) break;
      float act = clamped_swiglu(mine[2 * p] + bias[n], mine[2 * p + 1] + bias[n + 1], a.limit);
      store_hi_lo((bf16*)a.out, a.outLo, (long long)(r0 + lane) * (a.N / 2) + n / 2, act);
    }
  } else {
    float* y = (float*)a.out + (long long)dst * a.N;
#pragma unroll
    for (int f = 0; f < GV_FEAT; f++)
      if (nw + f < a.N) y[nw + f] = mine[f] + bias[nw + f];
  }
}

extern "C" __global__ void __launch_bounds__(256, 2) bf16_mxfp4w_moe_gemv(MoeGemmArgs a) { pdl_begin(); moe_gemv<GV_ROWS>(a); }
extern "C" __global__ void __launch_bounds__(256, 2) bf16_mxfp4w_moe_gemv_r4(MoeGemmArgs a) { pdl_begin(); moe_gemv<4>(a); }
extern "C" __global__ void __launch_bounds__(256, 3) bf16_mxfp4w_moe_gemv_r2(MoeGemmArgs a) { pdl_begin(); moe_gemv<2>(a); }
// Blocks per SM the one-row variant is compiled for (78 registers at 3). moe_check -DGV_R1_MIN_BLOCKS=4
// (64 registers) on an H100, 2026-11-27: gate_up alike, down 21.5 against 18.0 us, so 3 stays.
#ifndef GV_R1_MIN_BLOCKS
#define GV_R1_MIN_BLOCKS 3
#endif
extern "C" __global__ void __launch_bounds__(256, GV_R1_MIN_BLOCKS) bf16_mxfp4w_moe_gemv_r1(MoeGemmArgs a) { pdl_begin(); moe_gemv<1>(a); }
