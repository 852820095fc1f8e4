// Residual add + RMSNorm, one block per row:
//   if moeY:  x[r] += sum_j moeWeights[r, j] * moeY[r*k + j]   (the previous layer's experts, moe_combine
//             folded in: the same float order, x then + w_j * y_j for j = 0..k-1, one fma each)
//   if delta: x[r] += delta[r] + bias          (attention output projection joins the residual)
//   out[r] = bf16( weight * (x[r] / sqrt(mean(x[r]^2) + eps)) ),  outLo[r] = bf16(value - out[r])
// (the high/low pair carries ~16 mantissa bits into bf16 tensor-core products)
// x is written back when something was added, except with moeY and a row list (the final norm: the
// residual stream ends there, and a token listed twice would take its experts twice); then the sum is
// recomputed, to the same bits, in the second pass.
// Bytes per row: H*4 read (x) [+ H*4 delta | + k*H*4 moeY] [+ H*4 write x] + H*2 written; ~4H [+ 2kH] flops.
#include "gptoss_kernels.h"

// x[i] with what joins the residual stream at this norm, in moe_combine's then the delta's order.
__device__ __forceinline__ float rmsnorm_input(const RmsNormArgs& a, const float* x, int src, int i) {
  float v = x[i];
  if (a.moeY) {
    for (int j = 0; j < a.moeK; j++)
      v = __fmaf_rn(a.moeWeights[src * a.moeK + j], a.moeY[((long long)src * a.moeK + j) * a.hidden + i], v);
  }
  if (a.delta) v += a.delta[(long long)src * a.hidden + i] + (a.bias ? a.bias[i] : 0.f);
  return v;
}

extern "C" __global__ void __launch_bounds__(1024) residual_rmsnorm(RmsNormArgs a) {
  pdl_begin();
  int r = blockIdx.x;
  if (r >= a.numRows) return;
  int src = a.rows ? a.rows[r] : r;
  float* x = a.x + (long long)src * a.hidden;
  bool writeX = a.moeY ? a.rows == 0 : a.delta != 0;
  __shared__ float partial[32];
  float ss = 0.f;
  for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) {
    float v = rmsnorm_input(a, x, src, i);
    if (writeX) x[i] = v;
    ss += v * v;
  }
  ss = warp_sum(ss);
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = ss;
  __syncthreads();
  if (threadIdx.x < 32) {
    float v = threadIdx.x < (blockDim.x >> 5) ? partial[threadIdx.x] : 0.f;
    v = warp_sum(v);
    if (threadIdx.x == 0) partial[0] = v;
  }
  __syncthreads();
  float inv = rsqrtf(partial[0] / a.hidden + a.eps);
  bf16* out = a.out + (long long)r * a.hidden;
  bf16* lo = a.outLo ? a.outLo + (long long)r * a.hidden : 0;
  bool recompute = !writeX && (a.moeY || a.delta);
  for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) {
    float v = a.weight[i] * ((recompute ? rmsnorm_input(a, x, src, i) : x[i]) * inv);
    store_hi_lo(out, lo, i, v);
  }
}
