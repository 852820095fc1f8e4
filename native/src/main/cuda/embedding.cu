// Embedding gather: x[t, :] = float(table[tokens[t] - vocabFrom, :]) for a token in [vocabFrom, vocabTo), else 0
// (a CUDA rank's vocab-parallel share; the ranks' all-reduce sum then gives every row exactly, x + 0 = x).
// Bytes: T*H*2 read + T*H*4 written; no flops. Grid: one block per token.
#include "gptoss_kernels.h"

extern "C" __global__ void embedding_gather(EmbedArgs a) {
  pdl_begin();
  int t = blockIdx.x;
  if (t >= a.numTokens) return;
  int token = a.tokens[t];
  float* dst = a.x + (long long)t * a.hidden;
  if (token < a.vocabFrom || token >= a.vocabTo) {
    for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) dst[i] = 0.f;
    return;
  }
  const bf16* row = a.table + (long long)(token - a.vocabFrom) * a.hidden;
  for (int i = threadIdx.x; i < a.hidden; i += blockDim.x) dst[i] = bf2f(row[i]);
}
