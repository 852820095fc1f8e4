// Residual add + RMSNorm, one block per row:
//   if delta: x[r] += delta[r] + bias          (attention output projection joins the residual)
//   out[r] = bf16( weight * (x[r] / sqrt(mean(x[r]^2) + eps)) ),  outLo[r] = bf16(value - out[r])
// (the high/low pair carries ~16 mantissa bits into bf16 tensor-core products)
// Bytes per row: H*4 read (x) [+ H*4 delta + H*4 write x] + H*2 written; ~4H flops.
#include "gptoss_kernels.h"

extern "C" __global__ void residual_rmsnorm(RmsNormArgs a) {
  int r = blockIdx.x;
  if (r >= a.numRows) return;
  int src = a.rows ? a.rows[r] : r;
  float* x = a.x + (long long)src * a.hidden;
  __shared__ float partial[32];
  float ss = 0.f;
  for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) {
    float v = x[i];
    if (a.delta) {
      v += a.delta[(long long)src * a.hidden + i] + (a.bias ? a.bias[i] : 0.f);
      x[i] = v;
    }
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
  for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) {
    float v = a.weight[i] * (x[i] * inv);
    bf16 hi = f2bf(v);
    out[i] = hi;
    if (lo) lo[i] = f2bf(v - bf2f(hi));
  }
}
