// bf16 x MXFP4 grouped GEMM for the experts (W4A16: Hopper has no FP4 tensor cores, so the 4-bit
// weights are unpacked to bf16 in registers, staged in shared memory, and multiplied with
// mma.sync m16n8k16 bf16 -> f32).
//
// For each tile (expert e, sorted rows [r0, r1)) and each block of BN output features n:
//   u[r, n] = sum_k A[r, k] * W_e[n, k] + bias_e[n],   W_e[n, k] = E2M1(nibble) * 2^(scale - 127)
// mode 0 (gate_up, N = 2I), fused clamped SwiGLU on adjacent outputs (gate = u[2i], up = u[2i+1]):
//   gate = min(gate, limit); up = clamp(up, -limit, limit)
//   act[r, i] = gate * sigmoid(1.702 gate) * (up + 1)            -> bf16 [T*k, I], sorted-row order
// mode 1 (down, N = H): y[assign[r], n] = u[r, n]                 -> f32 [T*k, H], (t, j) order
// A rows: mode 0 gathers h[assign[r] / k]; mode 1 reads act[r].
//
// Tiles: BM = 64 rows x BN = 128 features x BK = 64 (two MXFP4 blocks per weight row per step);
// 8 warps as 2 x 4, each 32 x 32 (2 x 4 mma tiles). Grid: x = tile (row group), y = feature block,
// so tiles that share an expert's weights run together and hit L2.
// Bytes: every expert's weights are read once per row tile (N*K*17/32 bytes), A once per feature
// block; flops 2 * rows * N * K.
#include "gptoss_kernels.h"

#define BM 64
#define BN 128
#define BK 64
#define LDS (BK + 8)

__device__ __forceinline__ void mma_bf16(float* c, const unsigned* a, const unsigned* b) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// E2M1 code -> bf16 bits of (value * 2^(s - 127)), built from the bits: exact for scale bytes
// s in [2, 252] (every real checkpoint's); magnitude m: 0 -> 0, 1 -> 0.5, m >= 2 -> 2^(m/2 - 1) * (1 + (m&1)/2).
__device__ __forceinline__ unsigned fp4_to_bf16(unsigned code, unsigned s) {
  unsigned m = code & 7u, sign = (code & 8u) << 12;
  unsigned bits = m == 0 ? 0u : (m == 1 ? ((s - 1u) << 7) : (((s + (m >> 1) - 1u) << 7) | ((m & 1u) << 6)));
  return bits | sign;
}

extern "C" __global__ void __launch_bounds__(256) bf16_mxfp4w_moe_gemm(MoeGemmArgs a) {
  __shared__ __align__(16) bf16 As[BM][LDS];
  __shared__ __align__(16) bf16 Bs[BN][LDS];
  __shared__ int rowSrc[BM];
  __shared__ int rowDst[BM];
  const int tile = blockIdx.x;
  if (tile >= *a.numTiles) return;
  const int e = a.tiles[tile * 3], r0 = a.tiles[tile * 3 + 1], r1 = a.tiles[tile * 3 + 2];
  const int n0 = blockIdx.y * BN;
  if (n0 >= a.N) return;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, tig = lane & 3;
  const int wm = (warp >> 2) * 32, wn = (warp & 3) * 32;
  if (tid < BM) {
    int r = r0 + tid;
    int dst = r < r1 ? a.assign[r] : -1;
    rowDst[tid] = dst;
    rowSrc[tid] = r < r1 ? (a.mode == 0 ? dst / a.topK : r) : -1;
  }
  __syncthreads();
  const int nb = a.K / 32;                 // MXFP4 blocks per weight row
  const int steps = (nb + 1) / 2;
  // A loads: 64 rows x 64 cols bf16 = 512 chunks of 16 bytes, 2 per thread.
  // B loads: 128 rows x 2 blocks = 256 blocks of 16 bytes, 1 per thread.
  const int bRow = tid >> 1, bHalf = tid & 1;
  const long long wRow = (long long)e * a.N + n0 + bRow;
  const bool bValid = n0 + bRow < a.N;
  const uint4* wBlocks = (const uint4*)a.blocks + wRow * nb;
  const u8* wScales = a.scales + wRow * nb;
  float acc[2][4][4];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 4; j++)
#pragma unroll
      for (int q = 0; q < 4; q++) acc[i][j][q] = 0.f;

  uint4 aReg[2], bReg;
  unsigned sReg;
  auto loadGlobal = [&](int s) {
#pragma unroll
    for (int c = 0; c < 2; c++) {
      int chunk = tid + c * 256;
      int row = chunk >> 3, col = (chunk & 7) * 8;
      int k = s * BK + col;
      int src = rowSrc[row];
      aReg[c] = make_uint4(0, 0, 0, 0);
      if (src >= 0 && k < a.K) aReg[c] = *(const uint4*)(a.a + (long long)src * a.K + k);
    }
    int blk = s * 2 + bHalf;
    bReg = make_uint4(0, 0, 0, 0);
    sReg = 127;
    if (bValid && blk < nb) {
      bReg = wBlocks[blk];
      sReg = wScales[blk];
    }
  };
  auto storeShared = [&]() {
#pragma unroll
    for (int c = 0; c < 2; c++) {
      int chunk = tid + c * 256;
      int row = chunk >> 3, col = (chunk & 7) * 8;
      *(uint4*)&As[row][col] = aReg[c];
    }
    unsigned scale = sReg & 0xffu;
    unsigned w[4] = {bReg.x, bReg.y, bReg.z, bReg.w};
    unsigned packed[16];
#pragma unroll
    for (int q = 0; q < 4; q++) {
#pragma unroll
      for (int b = 0; b < 4; b++) {
        unsigned byte = (w[q] >> (8 * b)) & 0xffu;
        unsigned lo = fp4_to_bf16(byte & 0xfu, scale), hi = fp4_to_bf16(byte >> 4, scale);
        packed[q * 4 + b] = lo | (hi << 16);
      }
    }
    uint4* dst = (uint4*)&Bs[bRow][bHalf * 32];
#pragma unroll
    for (int q = 0; q < 4; q++) dst[q] = make_uint4(packed[q * 4], packed[q * 4 + 1], packed[q * 4 + 2], packed[q * 4 + 3]);
  };

  loadGlobal(0);
  for (int s = 0; s < steps; s++) {
    __syncthreads();
    storeShared();
    __syncthreads();
    if (s + 1 < steps) loadGlobal(s + 1);
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      unsigned af[2][4], bfr[4][2];
#pragma unroll
      for (int i = 0; i < 2; i++) {
        int rb = wm + i * 16;
        af[i][0] = *(const unsigned*)&As[rb + g][kk + 2 * tig];
        af[i][1] = *(const unsigned*)&As[rb + g + 8][kk + 2 * tig];
        af[i][2] = *(const unsigned*)&As[rb + g][kk + 8 + 2 * tig];
        af[i][3] = *(const unsigned*)&As[rb + g + 8][kk + 8 + 2 * tig];
      }
#pragma unroll
      for (int j = 0; j < 4; j++) {
        int cb = wn + j * 8;
        bfr[j][0] = *(const unsigned*)&Bs[cb + g][kk + 2 * tig];
        bfr[j][1] = *(const unsigned*)&Bs[cb + g][kk + 8 + 2 * tig];
      }
#pragma unroll
      for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) mma_bf16(acc[i][j], af[i], bfr[j]);
    }
  }
  // epilogue: acc[i][j] = rows (wm + 16i + g, +8), cols (wn + 8j + 2 tig, +1)
  const float* bias = a.bias + (long long)e * a.N;
#pragma unroll
  for (int i = 0; i < 2; i++) {
#pragma unroll
    for (int half = 0; half < 2; half++) {
      int row = wm + i * 16 + g + half * 8;
      int dst = rowDst[row];
      if (dst < 0) continue;
#pragma unroll
      for (int j = 0; j < 4; j++) {
        int n = n0 + wn + j * 8 + 2 * tig;
        if (n >= a.N) continue;
        float u0 = acc[i][j][half * 2] + bias[n];
        float u1 = acc[i][j][half * 2 + 1] + bias[n + 1];
        if (a.mode == 0) {
          float gate = fminf(u0, a.limit);
          float up = fminf(fmaxf(u1, -a.limit), a.limit);
          float act = gate / (1.f + expf(-1.702f * gate)) * (up + 1.f);
          ((bf16*)a.out)[(long long)(r0 + row) * (a.N / 2) + n / 2] = f2bf(act);
        } else {
          float2* y = (float2*)((float*)a.out + (long long)dst * a.N + n);
          *y = make_float2(u0, u1);
        }
      }
    }
  }
}
