// The expert GEMM as it was before issue 7's rework (commit de86a35), kept only so that
// moe_check.cu can time old and new side by side on the same card. Not used by the runtime.
// bf16 x MXFP4 grouped GEMM for the experts (W4A16: Hopper has no FP4 tensor cores). The packed
// weights travel to shared memory as they are (4.25 bits per weight) through a cp.async ring;
// each thread unpacks one 32-value MXFP4 block per stage in registers (nibble -> bf16 by bit
// arithmetic, exact) into a bf16 tile that all warps read as mma.sync m16n8k16 B fragments.
//
// For each tile (expert e, sorted rows [r0, r1)) and each block of BN_v0 output features n:
//   u[r, n] = sum_k A[r, k] * W_e[n, k] + bias_e[n],   W_e[n, k] = E2M1(nibble) * 2^(scale - 127)
// mode 0 (gate_up, N = 2I), fused clamped SwiGLU on adjacent outputs (gate = u[2i], up = u[2i+1]):
//   gate = min(gate, limit); up = clamp(up, -limit, limit)
//   act[r, i] = gate * sigmoid(1.702 gate) * (up + 1)            -> bf16 [T*k, I], sorted-row order
// mode 1 (down, N = H): y[assign[r], n] = u[r, n]                 -> f32 [T*k, H], (t, j) order
// A rows: mode 0 gathers h[assign[r] / k]; mode 1 reads act[r]. With aLo, A = hi + lo and each
// fragment is multiplied twice (float32-like activations; the weights are exact in bf16).
//
// Tiles: BM_v0 = 128 rows x BN_v0 = 128 features x BK_v0 = 64 (two MXFP4 blocks per row per stage), a
// 3-stage cp.async ring (A, raw nibbles and scales), 8 warps as 4 x 2 of 32 x 64. 128 rows per
// tile: at a decode batch of 1,024 (about 128 rows per expert) each expert's weights are read
// and unpacked once per step.
// Grid: x = row tile, y = feature block (tiles sharing an expert's weights run together).
// Bytes: each expert's weights once per row tile (N*K*17/32), A once per feature block;
// flops 2 * rows * N * K (twice with aLo).

#define BM_v0 128
#define BN_v0 128
#define BK_v0 64
#define LDA_v0 (BK_v0 + 8)
#define LDB_v0 48
#define STAGES_v0 3
#define A_STAGE_v0 (BM_v0 * LDA_v0 * 2)
#define B_STAGE_v0 (BN_v0 * LDB_v0)
#define S_STAGE_v0 (2 * BN_v0)
#define BDQ_BYTES_v0 (BN_v0 * LDA_v0 * 2)

__device__ __forceinline__ void mma_bf16_v0(float* c, const unsigned* a, const unsigned* b) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ void cp16_v0(void* smem, const void* gmem, bool valid) {
  unsigned s;
  asm volatile("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }\n" : "=r"(s) : "l"(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(valid ? 16 : 0));
}

__device__ __forceinline__ void cp_commit_v0() { asm volatile("cp.async.commit_group;\n" ::); }

__device__ __forceinline__ void cp_wait_v0() { asm volatile("cp.async.wait_group %0;\n" ::"n"(STAGES_v0 - 2)); }

// E2M1 code -> bf16 bits of (value * 2^(s - 127)), built from the bits: exact for scale bytes
// s in [2, 252] (every real checkpoint's); magnitude m: 0 -> 0, 1 -> 0.5, m >= 2 -> 2^(m/2 - 1) * (1 + (m&1)/2).
__device__ __forceinline__ unsigned fp4_to_bf16_v0(unsigned code, unsigned s) {
  unsigned m = code & 7u, sign = (code & 8u) << 12;
  unsigned bits = m == 0 ? 0u : (m == 1 ? ((s - 1u) << 7) : (((s + (m >> 1) - 1u) << 7) | ((m & 1u) << 6)));
  return bits | sign;
}

// One byte (two consecutive k values) -> a B fragment register (low nibble in the low half).
__device__ __forceinline__ unsigned dequant2_v0(unsigned byte, unsigned s) {
  return fp4_to_bf16_v0(byte & 0xfu, s) | (fp4_to_bf16_v0(byte >> 4, s) << 16);
}

extern "C" __global__ void __launch_bounds__(256) bf16_mxfp4w_moe_gemm_v0(MoeGemmArgs a) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ int rowSrc[BM_v0];
  __shared__ int rowDst[BM_v0];
  const bool precise = a.aLo != 0;
  bf16* As = (bf16*)smem;
  bf16* AsLo = (bf16*)(smem + STAGES_v0 * A_STAGE_v0);
  u8* Bq = smem + STAGES_v0 * A_STAGE_v0 * (precise ? 2 : 1);
  u8* Bs = Bq + STAGES_v0 * B_STAGE_v0;
  bf16* Bdq = (bf16*)(Bs + STAGES_v0 * S_STAGE_v0);  // the current stage's weights, unpacked
  const int tile = blockIdx.x;
  if (tile >= *a.numTiles) return;
  const int e = a.tiles[tile * 3], r0 = a.tiles[tile * 3 + 1], r1 = a.tiles[tile * 3 + 2];
  const int n0 = blockIdx.y * BN_v0;
  if (n0 >= a.N) return;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int g = lane >> 2, tig = lane & 3;
  const int wm = (warp >> 1) * 32, wn = (warp & 1) * 64;
  if (tid < BM_v0) {
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
    for (int c = 0; c < BM_v0 / 32; c++) {
      int chunk = tid + c * 256;
      int row = chunk >> 3, col = (chunk & 7) * 8;
      int k = step * BK_v0 + col;
      int src = rowSrc[row];
      bool ok = src >= 0 && k < a.K;
      long long off = ok ? (long long)src * a.K + k : 0;
      cp16_v0(As + stage * (A_STAGE_v0 / 2) + row * LDA_v0 + col, a.a + off, ok);
      if (precise) cp16_v0(AsLo + stage * (A_STAGE_v0 / 2) + row * LDA_v0 + col, a.aLo + off, ok);
    }
    {
      int row = tid >> 1, half = tid & 1;
      int blk = step * 2 + half;
      bool ok = n0 + row < a.N && blk < nb;
      const u8* src = ok ? a.blocks + ((expertRow + n0 + row) * nb + blk) * 16 : a.blocks;
      cp16_v0(Bq + stage * B_STAGE_v0 + row * LDB_v0 + half * 16, src, ok);
    }
    if (tid < 16) {
      int half = tid >> 3, chunk = tid & 7;
      int blk = step * 2 + half, n = n0 + chunk * 16;
      bool ok = blk < nb && n < a.N;
      const u8* src = ok ? a.scalesT + ((long long)e * nb + blk) * a.N + n : a.scalesT;
      cp16_v0(Bs + stage * S_STAGE_v0 + half * BN_v0 + chunk * 16, src, ok);
    }
  };

  float acc[2][8][4];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 8; j++)
#pragma unroll
      for (int q = 0; q < 4; q++) acc[i][j][q] = 0.f;

#pragma unroll
  for (int st = 0; st < STAGES_v0 - 1; st++) {
    if (st < steps) issue(st, st);
    cp_commit_v0();
  }
  for (int s = 0; s < steps; s++) {
    cp_wait_v0();
    __syncthreads();
    int nx = s + STAGES_v0 - 1;
    if (nx < steps) issue(nx % STAGES_v0, nx);
    cp_commit_v0();
    const int stage = s % STAGES_v0;
    const bf16* At = As + stage * (A_STAGE_v0 / 2);
    const bf16* AtLo = AsLo + stage * (A_STAGE_v0 / 2);
    {  // unpack: thread -> (row, half): 16 bytes = 32 values of one MXFP4 block
      const int row = tid >> 1, half = tid & 1;
      const uint4 raw = *(const uint4*)(Bq + stage * B_STAGE_v0 + row * LDB_v0 + half * 16);
      const unsigned sc = Bs[stage * S_STAGE_v0 + half * BN_v0 + row];
      const unsigned w[4] = {raw.x, raw.y, raw.z, raw.w};
      uint4* dst = (uint4*)(Bdq + row * LDA_v0 + half * 32);
#pragma unroll
      for (int q = 0; q < 4; q++) {
        unsigned p0 = dequant2_v0(w[q] & 0xffu, sc), p1 = dequant2_v0((w[q] >> 8) & 0xffu, sc);
        unsigned p2 = dequant2_v0((w[q] >> 16) & 0xffu, sc), p3 = dequant2_v0(w[q] >> 24, sc);
        dst[q] = make_uint4(p0, p1, p2, p3);
      }
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < 4; kk++) {
      const int kc = kk * 16;
      unsigned af[2][4];
#pragma unroll
      for (int i = 0; i < 2; i++) {
        int rb = wm + i * 16;
        af[i][0] = *(const unsigned*)&At[(rb + g) * LDA_v0 + kc + 2 * tig];
        af[i][1] = *(const unsigned*)&At[(rb + g + 8) * LDA_v0 + kc + 2 * tig];
        af[i][2] = *(const unsigned*)&At[(rb + g) * LDA_v0 + kc + 8 + 2 * tig];
        af[i][3] = *(const unsigned*)&At[(rb + g + 8) * LDA_v0 + kc + 8 + 2 * tig];
      }
      unsigned bfr[8][2];
#pragma unroll
      for (int j = 0; j < 8; j++) {
        int n = wn + j * 8 + g;
        bfr[j][0] = *(const unsigned*)&Bdq[n * LDA_v0 + kc + 2 * tig];
        bfr[j][1] = *(const unsigned*)&Bdq[n * LDA_v0 + kc + 8 + 2 * tig];
      }
#pragma unroll
      for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) mma_bf16_v0(acc[i][j], af[i], bfr[j]);
      if (precise) {
#pragma unroll
        for (int i = 0; i < 2; i++) {
          int rb = wm + i * 16;
          af[i][0] = *(const unsigned*)&AtLo[(rb + g) * LDA_v0 + kc + 2 * tig];
          af[i][1] = *(const unsigned*)&AtLo[(rb + g + 8) * LDA_v0 + kc + 2 * tig];
          af[i][2] = *(const unsigned*)&AtLo[(rb + g) * LDA_v0 + kc + 8 + 2 * tig];
          af[i][3] = *(const unsigned*)&AtLo[(rb + g + 8) * LDA_v0 + kc + 8 + 2 * tig];
        }
#pragma unroll
        for (int i = 0; i < 2; i++)
#pragma unroll
          for (int j = 0; j < 8; j++) mma_bf16_v0(acc[i][j], af[i], bfr[j]);
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
      for (int j = 0; j < 8; j++) {
        int n = n0 + wn + j * 8 + 2 * tig;
        if (n >= a.N) continue;
        float u0 = acc[i][j][half * 2] + bias[n];
        float u1 = acc[i][j][half * 2 + 1] + bias[n + 1];
        if (a.mode == 0) {
          float gate = fminf(u0, a.limit);
          float up = fminf(fmaxf(u1, -a.limit), a.limit);
          float act = gate / (1.f + expf(-1.702f * gate)) * (up + 1.f);
          long long o = (long long)(r0 + row) * (a.N / 2) + n / 2;
          bf16 hi = f2bf(act);
          ((bf16*)a.out)[o] = hi;
          if (a.outLo) a.outLo[o] = f2bf(act - bf2f(hi));
        } else {
          float2* y = (float2*)((float*)a.out + (long long)dst * a.N + n);
          *y = make_float2(u0, u1);
        }
      }
    }
  }
}
