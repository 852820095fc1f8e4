// Dense bf16 projections of steps with at most GB_MAX_ROWS rows (single-stream and small-batch decode:
// qkv, the attention output, the router and the LM head), in place of cuBLAS, whose kernels for
// these shapes split K and add a reduction launch (o projection, router) or leave the stream idle
// between tiles:
//   out[t, n] = sum_k W[n, k] * (x[t, k] + xLo[t, k])      (float32; xLo absent in fast mode)
// One warp per output feature n: the warp streams W's row n once with up to GB_UNROLL 16-byte loads
// per lane in flight (K <= 4,096 in one pass), each lane multiplies its 8 values by the same k range
// of every row t (read through L1: every warp of the block reads the same rows), float32 FMAs, then
// the warp reduces. Bytes: N*K*2 of weights (the floor: memory-bound), T*K*2 (x4 with xLo) of
// activations per block from L1/L2, T*N*4 written. Flops: 2*T*N*K on CUDA cores.
// With programmatic launch the first GB_UNROLL weight loads of each lane are issued before pdl_wait,
// so a block scheduled while the previous kernel runs has its weights on the way when that kernel ends:
// W must be the model's, never a buffer that an earlier kernel of the stream writes (the dense expert
// path's unpacked weights take cuBLAS for that reason).
// Grid: x = ceil(N / 8) blocks of 256 threads (8 warps). K must be a multiple of 8.
#include "gptoss_kernels.h"

#define GB_MAX_ROWS 4
// Loads in flight per lane and blocks per SM (114 registers at 16 and 2). gemv_check with -D on an
// H100 (2026-11-27, fast, one row, before the loads moved ahead of pdl_wait): 8 x 3 and 4 x 4 took the
// o projection from 24.0 to 19.3-19.5 us, qkv and the LM head alike; not adopted, since the kernel now
// runs only the precise modes' one-row products and those variants were not run there or in a step.
#ifndef GB_UNROLL
#define GB_UNROLL 16
#endif
#ifndef GB_MIN_BLOCKS
#define GB_MIN_BLOCKS 2
#endif

__device__ __forceinline__ void bf16x8_to_float(const uint4& v, float (&f)[8]) {
  const unsigned w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int q = 0; q < 4; q++) {
    f[2 * q] = __uint_as_float(w[q] << 16);
    f[2 * q + 1] = __uint_as_float(w[q] & 0xffff0000u);
  }
}

extern "C" __global__ void __launch_bounds__(256, GB_MIN_BLOCKS) bf16_gemv(GemvArgs a) {
  pdl_trigger();
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int n = blockIdx.x * 8 + warp;
  const int k8 = a.K / 8;
  const uint4* w = (const uint4*)(a.w + (long long)min(n, a.N - 1) * a.K);
  float acc[GB_MAX_ROWS] = {0.f, 0.f, 0.f, 0.f};
  for (int base = 0; base < k8; base += 32 * GB_UNROLL) {
    uint4 wv[GB_UNROLL];
#pragma unroll
    for (int i = 0; i < GB_UNROLL; i++) {
      const int c = base + lane + 32 * i;
      wv[i] = c < k8 ? __ldg(w + c) : make_uint4(0, 0, 0, 0);
    }
    // the first pass's weights are in flight while the previous kernel finishes (programmatic launch)
    if (base == 0) pdl_wait();
    if (n >= a.N) return;
#pragma unroll
    for (int i = 0; i < GB_UNROLL; i++) {
      const int c = base + lane + 32 * i;
      if (c >= k8) break;
      float wf[8];
      bf16x8_to_float(wv[i], wf);
#pragma unroll
      for (int t = 0; t < GB_MAX_ROWS; t++) {
        if (t >= a.rows) break;
        float xf[8];
        bf16x8_to_float(__ldg((const uint4*)(a.x + (long long)t * a.K) + c), xf);
        if (a.xLo) {
          float lf[8];
          bf16x8_to_float(__ldg((const uint4*)(a.xLo + (long long)t * a.K) + c), lf);
#pragma unroll
          for (int j = 0; j < 8; j++) xf[j] += lf[j];
        }
#pragma unroll
        for (int j = 0; j < 8; j++) acc[t] = fmaf(wf[j], xf[j], acc[t]);
      }
    }
  }
#pragma unroll
  for (int t = 0; t < GB_MAX_ROWS; t++) {
    if (t >= a.rows) break;
    const float s = warp_sum(acc[t]);
    if (lane == 0) a.out[(long long)t * a.N + n] = s;
  }
}

// The same products on the tensor cores (bf16_gemv_tc): per 16 bytes of weights a handful of
// instructions instead of bf16_gemv's ~30 (eight conversions and FMAs per row), so that the kernel is
// bound by memory, not by issue. mma.sync m16n8k16 with the step's rows as A (rows 0..3 of 16, the rest
// zero) and 8 output features as B: lane (g, t) loads 16-byte chunk c = base + 4i + t of feature
// n0 + g's row (B's two registers of two mmas: k = 8c .. 8c + 7 in order) and, for g < rows, the same
// chunk of row g of x (A's registers: the k order inside an mma is free as long as A and B agree, and
// here both are the natural one). C: lane (g, t) ends with row g's sums of features n0 + 2t, n0 + 2t + 1.
// A block = GT_FEAT = 8 features and GT_WARPS = 8 warps that split K (chunks [warp k8 / 8, (warp + 1) k8 / 8));
// each lane issues up to GT_LOADS weight loads at once, the first pass before pdl_wait (W is the model's,
// as for bf16_gemv); the warps' sums are added in shared memory by warp 0 in warp order. With xLo, a
// second product per chunk (hi and lo summed in float32, as cuBLAS's two products).
// Grid: x = ceil(N / 8) blocks of 256 threads. K must be a multiple of 8.
#define GT_FEAT 8
#define GT_WARPS 8
#ifndef GT_LOADS
#define GT_LOADS 16  // a warp's range of K = 4,096 (64 chunks) in one pass
#endif
#define GT_XG 4      // chunks of x loaded together (GT_LOADS is a multiple)

__device__ __forceinline__ void gt_mma(float (&c)[4], unsigned a0, unsigned a2, unsigned b0, unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a0), "r"(0u), "r"(a2), "r"(0u), "r"(b0), "r"(b1));
}

// One pass's products: chunks base + 4i + t (i < GT_LOADS) of W in wv against the same chunks of x (hi, and
// lo when PRECISE), x in groups of GT_XG chunks whose loads (L1, or L2 for a block's first rows) go out together.
template <bool PRECISE>
__device__ __forceinline__ void gt_pass(float (&acc)[4], const uint4 (&wv)[GT_LOADS], int base, int c1, int t, bool rowOk,
                                        const uint4* xh, const uint4* xl) {
  const uint4 zero = make_uint4(0, 0, 0, 0);
#pragma unroll
  for (int i0 = 0; i0 < GT_LOADS; i0 += GT_XG) {
    if (base + 4 * i0 >= c1) break;  // the same for the whole warp
    uint4 h[GT_XG], l[GT_XG];
#pragma unroll
    for (int j = 0; j < GT_XG; j++) {
      const int c = base + 4 * (i0 + j) + t;
      const bool ok = rowOk && c < c1;
      h[j] = ok ? __ldg(xh + c) : zero;
      if (PRECISE) l[j] = ok ? __ldg(xl + c) : zero;
    }
#pragma unroll
    for (int j = 0; j < GT_XG; j++) {
      const int i = i0 + j;
      gt_mma(acc, h[j].x, h[j].y, wv[i].x, wv[i].y);
      gt_mma(acc, h[j].z, h[j].w, wv[i].z, wv[i].w);
      if (PRECISE) {
        gt_mma(acc, l[j].x, l[j].y, wv[i].x, wv[i].y);
        gt_mma(acc, l[j].z, l[j].w, wv[i].z, wv[i].w);
      }
    }
  }
}

extern "C" __global__ void __launch_bounds__(256, 2) bf16_gemv_tc(GemvArgs a) {
  pdl_trigger();
  __shared__ float2 red[GT_WARPS - 1][32];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int n0 = blockIdx.x * GT_FEAT, k8 = a.K / 8;
  const int c0 = warp * k8 / GT_WARPS, c1 = (warp + 1) * k8 / GT_WARPS;  // this warp's chunks of K
  const uint4* w = (const uint4*)(a.w + (long long)min(n0 + g, a.N - 1) * a.K);
  const uint4 zero = make_uint4(0, 0, 0, 0);
  const bool rowOk = g < a.rows;
  const uint4* xh = (const uint4*)(a.x + (long long)(rowOk ? g : 0) * a.K);
  const uint4* xl = a.xLo ? (const uint4*)(a.xLo + (long long)(rowOk ? g : 0) * a.K) : nullptr;
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  // One pass per GT_LOADS loads of each lane (a warp's range of K = 4,096 in one); at least one, so that every
  // thread waits. The wait sits in the loop, after the first pass's loads, as in bf16_gemv: written straight
  // after them, ptxas hoists it above them (a wait may always move earlier) and the loads no longer overlap
  // the previous kernel.
  int base = c0;
  do {
    uint4 wv[GT_LOADS];
#pragma unroll
    for (int i = 0; i < GT_LOADS; i++) {
      const int c = base + 4 * i + t;
      wv[i] = c < c1 ? __ldg(w + c) : zero;
    }
    if (base == c0) pdl_wait();  // x (and out) belong to the stream's earlier kernels
    if (xl) gt_pass<true>(acc, wv, base, c1, t, rowOk, xh, xl);
    else gt_pass<false>(acc, wv, base, c1, t, rowOk, xh, xl);
    base += 4 * GT_LOADS;
  } while (base < c1);
  // acc[0], acc[1]: row g, features n0 + 2t, n0 + 2t + 1 (acc[2], acc[3]: A rows g + 8, zero)
  if (warp > 0) red[warp - 1][lane] = make_float2(acc[0], acc[1]);
  __syncthreads();
  if (warp > 0 || !rowOk) return;
#pragma unroll
  for (int s = 0; s < GT_WARPS - 1; s++) {
    const float2 v = red[s][lane];
    acc[0] += v.x;
    acc[1] += v.y;
  }
  const int n = n0 + 2 * t;
  float* out = a.out + (long long)g * a.N;
  if (n < a.N) out[n] = acc[0];
  if (n + 1 < a.N) out[n + 1] = acc[1];
}
