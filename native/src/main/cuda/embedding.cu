// Embedding gather: x[t, :] = float(table[tokens[t], :]).
// Bytes: T*H*2 read + T*H*4 written; no flops. Grid: one block per token.
#include "gptoss_kernels.h"

extern "C" __global__ void embedding_gather(EmbedArgs a) {
  pdl_begin();
  int t = blockIdx.x;
  if (t >= a.numTokens) return;
  const bf16* row = a.table + (long long)a.tokens[t] * a.hidden;
  float* dst = a.x + (long long)t * a.hidden;
  for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) dst[i] = bf2f(row[i]);
}
