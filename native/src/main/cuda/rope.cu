// Bias + YaRN rotary + KV store, one block per token. For each q and k head, half-split layout:
//   (a, b) = (x[i], x[i + d/2]);  x[i] = a cos - b sin;  x[i + d/2] = b cos + a sin
//   with angle = position * invFreq[i], cos and sin scaled by attentionFactor (as YarnRope.java).
// q goes to a float buffer; k and v are stored as kv_t (bf16, or float32 with GPTOSS_KV_F32) into the
// token's KV page: K at [slot][kvDim], V transposed at [kvHead][headDim][slot] (see attention_mma.cu).
// Bytes per token: (Q + 2K)*4 read, Q*4 + 2K*2 written; ~6 flops per rotated pair.
#include "gptoss_kernels.h"

extern "C" __global__ void __launch_bounds__(1024) qkv_rope_store(QkvRopeArgs a) {
  pdl_begin();
  int t = blockIdx.x;
  if (t >= a.numTokens) return;
  int half = a.headDim / 2;
  int qDim = a.heads * a.headDim, kvDim = a.kvHeads * a.headDim;
  int width = qDim + 2 * kvDim;
  const float* src = a.qkv + (long long)t * width;
  int pos = a.positions[t];
  int seq = a.tokenSeq[t];
  int page = a.pageTable[(long long)seq * a.maxPages + pos / a.pageSize];
  int slot = pos % a.pageSize;
  kv_t* kdst = 0;
  kv_t* vdst = 0;
  if (page >= 0) {
    long long base = (((long long)page * a.layers + a.layerOfType) * 2) * a.pageSize * kvDim;
    kdst = a.kvPool + base + (long long)slot * kvDim;
    vdst = a.kvPool + base + (long long)a.pageSize * kvDim + slot;
  }
  // rotated pairs: heads + kvHeads heads, half pairs each
  int pairs = (a.heads + a.kvHeads) * half;
  for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
    int h = p / half, i = p % half;
    float angle = (float)pos * a.invFreq[i];
    float s, c;
    sincosf(angle, &s, &c);
    c *= a.attentionFactor;
    s *= a.attentionFactor;
    int off = h * a.headDim;  // q heads first, then k heads (same layout as qkv)
    float x0 = src[off + i] + a.bias[off + i];
    float x1 = src[off + i + half] + a.bias[off + i + half];
    float y0 = x0 * c - x1 * s;
    float y1 = x1 * c + x0 * s;
    if (h < a.heads) {
      a.q[(long long)t * qDim + off + i] = y0;
      a.q[(long long)t * qDim + off + i + half] = y1;
    } else if (kdst) {
      int ko = off - qDim;
      kdst[ko + i] = to_kv(y0);
      kdst[ko + i + half] = to_kv(y1);
    }
  }
  if (vdst) {
    for (int i = threadIdx.x; i < kvDim; i += blockDim.x) vdst[(long long)i * a.pageSize] = to_kv(src[qDim + kvDim + i] + a.bias[qDim + kvDim + i]);
  }
}
