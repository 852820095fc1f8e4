// bf16 x MXFP4 grouped GEMM for the experts (W4A16: Hopper has no FP4 tensor cores). The packed
// weights travel to shared memory as they are (4.25 bits per weight) through a cp.async ring;
// each thread unpacks one 32-value MXFP4 block per stage in registers (mxfp4_lut / mxfp4_word in
// gptoss_kernels.h: byte-permute lookups into tables that already hold the block's scale, about
// 2.6 instructions per value, exact) into a bf16 tile that all warps read as mma.sync
// m16n8k16 B fragments (ldmatrix for A and B). The unpacked tile is double-buffered: stage s+1 is unpacked while stage s
// is multiplied, with one block barrier per stage.
//
// For each tile (expert e, sorted rows [r0, r1)) and each block of BN output features n:
//   u[r, n] = sum_k A[r, k] * W_e[n, k] + bias_e[n],   W_e[n, k] = E2M1(nibble) * 2^(scale - 127)
// mode 0 (gate_up, N = 2I), fused clamped SwiGLU on adjacent outputs (gate = u[2i], up = u[2i+1]):
//   gate = min(gate, limit); up = clamp(up, -limit, limit)
//   act[r, i] = gate * sigmoid(1.702 gate) * (up + 1)            -> bf16 [T*k, I], sorted-row order
// mode 1 (down, N = H): y[assign[r], n] = u[r, n]                 -> f32 [T*k, H], (t, j) order
// A rows: mode 0 gathers h[assign[r] / k]; mode 1 reads act[r]. With aLo, A = hi + lo and each
// fragment is multiplied twice (float32-like activations; the weights are exact in bf16).
//
// Tiles: BM = 128 rows x BN = 128 features x BK = 64 (two MXFP4 blocks per row per stage), a
// 4-stage cp.async ring (A, raw nibbles and scales), 8 warps as 4 x 2 of 32 x 64 (the body is a
// template over rows per tile and stages so that moe_check.cu can time other shapes). 128 rows per
// tile: at a decode batch of 1,024 (about 128 rows per expert) each expert's weights are read
// and unpacked once per step.
// Grid: x = row tile, y = feature block (tiles sharing an expert's weights run together).
// Bytes: each expert's weights once per row tile (N*K*17/32), A once per feature block;
// flops 2 * rows * N * K (twice with aLo).
#include "gptoss_kernels.h"

#define BM 128     // rows per tile of the production kernel (template parameter BM_)
#define BN 128
#define BK 64
#define LDA (BK + 8)
#define LDB 48
#define STAGES 3   // cp.async ring depth of the production kernel (template parameter ST_)
#define B_STAGE (BN * LDB)
#define S_STAGE (2 * BN)
#define BDQ_BYTES (2 * BN * LDA * 2)
// Dynamic shared memory: stages x (A [+ A low part] + nibbles + scales) + two unpacked tiles.
#define MOE_GEMM_SMEM_T(bm, stages, precise) ((stages) * (((precise) ? 2 : 1) * (bm) * LDA * 2 + B_STAGE + S_STAGE) + BDQ_BYTES)
#define MOE_GEMM_SMEM(precise) MOE_GEMM_SMEM_T(BM, STAGES, precise)

__device__ __forceinline__ void mma_bf16(float* c, const unsigned* a, const unsigned* b) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ void cp16(void* smem, const void* gmem, bool valid) {
  unsigned s;
  asm volatile("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }\n" : "=r"(s) : "l"(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(valid ? 16 : 0));
}

// Four 8x8 bf16 matrices from shared memory; lane l gives the address of row l % 8 of matrix l / 8,
// and register i holds row lane / 4, columns 2 (lane % 4), +1 of matrix i (an mma fragment).
__device__ __forceinline__ void ldmatrix_x4(unsigned* r, const bf16* p) {
  unsigned s;
  asm volatile("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }\n" : "=r"(s) : "l"(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(s));
}

__device__ __forceinline__ void cp_commit() { asm volatile("cp.async.commit_group;\n" ::); }

// At most n cp.async groups of this thread still in flight.
template <int n>
__device__ __forceinline__ void cp_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(n)); }

// The kernel body for BM_ rows per tile (128 or 64: 8 warps as BM_/32 x 8/(BM_/32) of 32 x WN) and a
// ring of ST_ >= 3 stages. The runtime uses bf16_mxfp4w_moe_gemm below (BM, STAGES); moe_check.cu
// times other instantiations.
template <int BM_, int ST_>
__device__ __forceinline__ void moe_gemm_tile(const MoeGemmArgs& a) {
  constexpr int A_STAGE = BM_ * LDA * 2;
  constexpr int WARPS_M = BM_ / 32, WARPS_N = 8 / WARPS_M, WN = BN / WARPS_N, J = WN / 8;
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int rowSrc[BM_];
  __shared__ int rowDst[BM_];
  const bool precise = a.aLo != 0;
  bf16* As = (bf16*)smem;
  bf16* AsLo = (bf16*)(smem + ST_ * A_STAGE);
  u8* Bq = smem + ST_ * A_STAGE * (precise ? 2 : 1);
  u8* Bs = Bq + ST_ * B_STAGE;
  bf16* Bdq = (bf16*)(Bs + ST_ * S_STAGE);  // two unpacked weight tiles [2][BN][LDA]
  const int tile = blockIdx.x;
  if (tile >= *a.numTiles) return;
  const int e = a.tiles[tile * 3], r0 = a.tiles[tile * 3 + 1], r1 = a.tiles[tile * 3 + 2];
  const int n0 = blockIdx.y * BN;
  if (n0 >= a.N) return;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, tig = lane & 3;
  const int wm = (warp / WARPS_N) * 32, wn = (warp % WARPS_N) * WN;
  // ldmatrix row addresses: lane l feeds row l % 8 of 8x8 matrix l / 8. A fragment (16 x 16):
  // matrices (rows 0-7, k 0-7), (rows 8-15, k 0-7), (rows 0-7, k 8-15), (rows 8-15, k 8-15) = a0..a3.
  // B (two n8 blocks x k16, stored [n][k]): (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7),
  // (n 8-15, k 8-15) = b0, b1 of the first block, b0, b1 of the second.
  const int aRow = lane & 15, aCol = (lane >> 4) * 8;
  const int bRow = ((lane >> 4) << 3) + (lane & 7), bCol = ((lane >> 3) & 1) * 8;
  if (tid < BM_) {
    int r = r0 + tid;
    int dst = r < r1 ? a.assign[r] : -1;
    rowDst[tid] = dst;
    rowSrc[tid] = r < r1 ? (a.mode == 0 ? dst / a.topK : r) : -1;
  }
  __syncthreads();
  const int nb = a.K / 32;
  const int steps = (nb + 1) / 2;
  const long long expertRow = (long long)e * a.N;

  auto issue = [&](int stage, int step) {
#pragma unroll
    for (int c = 0; c < BM_ / 32; c++) {
      int chunk = tid + c * 256;
      int row = chunk >> 3, col = (chunk & 7) * 8;
      int k = step * BK + col;
      int src = rowSrc[row];
      bool ok = src >= 0 && k < a.K;
      long long off = ok ? (long long)src * a.K + k : 0;
      cp16(As + stage * (A_STAGE / 2) + row * LDA + col, a.a + off, ok);
      if (precise) cp16(AsLo + stage * (A_STAGE / 2) + row * LDA + col, a.aLo + off, ok);
    }
    {
      int row = tid >> 1, half = tid & 1;
      int blk = step * 2 + half;
      bool ok = n0 + row < a.N && blk < nb;
      const u8* src = ok ? a.blocks + ((expertRow + n0 + row) * nb + blk) * 16 : a.blocks;
      cp16(Bq + stage * B_STAGE + row * LDB + half * 16, src, ok);
    }
    if (tid < 16) {
      int half = tid >> 3, chunk = tid & 7;
      int blk = step * 2 + half, n = n0 + chunk * 16;
      bool ok = blk < nb && n < a.N;
      const u8* src = ok ? a.scalesT + ((long long)e * nb + blk) * a.N + n : a.scalesT;
      cp16(Bs + stage * S_STAGE + half * BN + chunk * 16, src, ok);
    }
  };

  float acc[2][J][4];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < J; j++)
#pragma unroll
      for (int q = 0; q < 4; q++) acc[i][j][q] = 0.f;

  // unpack: thread -> (row, half): 16 bytes = 32 values of one MXFP4 block
  auto unpack = [&](int step) {
    const int slot = step % ST_;
    const int row = tid >> 1, half = tid & 1;
    const uint4 raw = *(const uint4*)(Bq + slot * B_STAGE + row * LDB + half * 16);
    const Mxfp4Lut lut = mxfp4_lut(Bs[slot * S_STAGE + half * BN + row]);
    const unsigned w[4] = {raw.x, raw.y, raw.z, raw.w};
    uint4* dst = (uint4*)(Bdq + (step & 1) * (BN * LDA) + row * LDA + half * 32);
#pragma unroll
    for (int q = 0; q < 4; q++) {
      unsigned o[4];
      mxfp4_word(w[q], lut, o);
      dst[q] = make_uint4(o[0], o[1], o[2], o[3]);
    }
  };

#pragma unroll
  for (int st = 0; st < ST_ - 1; st++) {
    if (st < steps) issue(st, st);
    cp_commit();
  }
  cp_wait<ST_ - 2>();  // stage 0
  __syncthreads();
  unpack(0);
  for (int s = 0; s < steps; s++) {
    // One barrier: stage s+1 has landed for everyone, tile s is unpacked, and stage s-1's slots
    // (ring slot (s-1) % ST_, unpacked tile (s+1) & 1) are no longer read.
    cp_wait<ST_ - 3>();  // stage s+1
    __syncthreads();
    int nx = s + ST_ - 1;
    if (nx < steps) issue(nx % ST_, nx);
    cp_commit();
    if (s + 1 < steps) unpack(s + 1);
    const int stage = s % ST_;
    const bf16* At = As + stage * (A_STAGE / 2);
    const bf16* AtLo = AsLo + stage * (A_STAGE / 2);
    const bf16* Bt = Bdq + (s & 1) * (BN * LDA);
    // A warp whose 32 rows all lie past the tile's end (an expert's last, partly filled tile) has
    // no products to do; it still shares the unpacking and the barriers.
#pragma unroll
    for (int kk = 0; kk < 4 && wm < r1 - r0; kk++) {
      const int kc = kk * 16;
      unsigned af[2][4];
#pragma unroll
      for (int i = 0; i < 2; i++) ldmatrix_x4(af[i], At + (wm + i * 16 + aRow) * LDA + kc + aCol);
      unsigned bfr[J][2];
#pragma unroll
      for (int jj = 0; jj < J / 2; jj++) {
        unsigned r[4];
        ldmatrix_x4(r, Bt + (wn + jj * 16 + bRow) * LDA + kc + bCol);
        bfr[2 * jj][0] = r[0];
        bfr[2 * jj][1] = r[1];
        bfr[2 * jj + 1][0] = r[2];
        bfr[2 * jj + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < J; j++) mma_bf16(acc[i][j], af[i], bfr[j]);
      if (precise) {
#pragma unroll
        for (int i = 0; i < 2; i++) ldmatrix_x4(af[i], AtLo + (wm + i * 16 + aRow) * LDA + kc + aCol);
#pragma unroll
        for (int i = 0; i < 2; i++)
#pragma unroll
          for (int j = 0; j < J; j++) mma_bf16(acc[i][j], af[i], bfr[j]);
      }
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
      for (int j = 0; j < J; j++) {
        int n = n0 + wn + j * 8 + 2 * tig;
        if (n >= a.N) continue;
        float u0 = acc[i][j][half * 2] + bias[n];
        float u1 = acc[i][j][half * 2 + 1] + bias[n + 1];
        if (a.mode == 0) {
          store_hi_lo((bf16*)a.out, a.outLo, (long long)(r0 + row) * (a.N / 2) + n / 2, clamped_swiglu(u0, u1, a.limit));
        } else {
          float2* y = (float2*)((float*)a.out + (long long)dst * a.N + n);
          *y = make_float2(u0, u1);
        }
      }
    }
  }
}

// 3 stages and at most 128 registers: two blocks per SM in fast mode (111 KB of shared memory each),
// which measured 23-25% faster than 4 stages and one block (H100, moe_check: decode at batch 1,024
// 1.30 vs 1.68 ms per layer, a 9,216-token prefill step 8.0 vs 10.6 ms per layer).
extern "C" __global__ void __launch_bounds__(256, 2) bf16_mxfp4w_moe_gemm(MoeGemmArgs a) { pdl_begin(); moe_gemm_tile<BM, STAGES>(a); }
