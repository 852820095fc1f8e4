// Weighted combine of the chosen experts' outputs into the residual stream:
//   x[t, i] += sum_j weights[t, j] * y[t*k + j, i]      (j in routing order, like the CPU backend;
// one fma per term, the order residual_rmsnorm's moeY path repeats bit for bit)
// Bytes per token: k*H*4 + 2*H*4; 2*k*H flops. Grid: one block per token.
// The backend no longer launches it: residual_rmsnorm does the same sum before normalising (one
// kernel less per layer). It stays as the unfused twin that route_check.cu compares the fused norm with.
#include "gptoss_kernels.h"

extern "C" __global__ void moe_combine(MoeCombineArgs a) {
  pdl_begin();
  int t = blockIdx.x;
  if (t >= a.numTokens) return;
  float* x = a.x + (long long)t * a.hidden;
  for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) {
    float s = x[i];
    for (int j = 0; j < a.k; j++) s = __fmaf_rn(a.weights[t * a.k + j], a.y[((long long)t * a.k + j) * a.hidden + i], s);
    x[i] = s;
  }
}
