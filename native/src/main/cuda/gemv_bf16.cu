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
