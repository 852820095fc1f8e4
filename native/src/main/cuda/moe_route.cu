// MoE routing and token grouping by expert.
//   moe_topk:    per token, logits + bias, top-k (ties: lower expert), softmax over the chosen k;
//                counts[e] += 1 for each choice.            Bytes: T*E*4 read, T*k*8 written.
//   moe_group:   one block: prefix sum of counts -> first sorted row per expert, and the GEMM tile
//                list (expert, row range) of tileM rows each. O(E + tiles).
//   moe_scatter: per assignment, sorted row = cursor[e]++ ; assign[row] = t*k + j.
// Row order inside an expert depends on atomics, but every output is written at its (t, j) slot,
// so results do not depend on it.
#include "gptoss_kernels.h"

#define MAX_TOPK 8

extern "C" __global__ void moe_topk(MoeRouteArgs a) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= a.numTokens) return;
  const float* lg = a.logits + (long long)t * a.experts;
  int idx[MAX_TOPK];
  float val[MAX_TOPK];
  for (int j = 0; j < a.k; j++) {
    int best = -1;
    float bv = 0.f;
    for (int e = 0; e < a.experts; e++) {
      bool taken = false;
      for (int q = 0; q < j; q++) taken |= idx[q] == e;
      if (taken) continue;
      float v = lg[e] + a.bias[e];
      if (best < 0 || v > bv) {
        best = e;
        bv = v;
      }
    }
    idx[j] = best;
    val[j] = bv;
  }
  float sum = 0.f, top = val[0];
  for (int j = 0; j < a.k; j++) {
    val[j] = expf(val[j] - top);
    sum += val[j];
  }
  for (int j = 0; j < a.k; j++) {
    a.expertIds[t * a.k + j] = idx[j];
    a.weights[t * a.k + j] = val[j] / sum;
    atomicAdd(&a.counts[idx[j]], 1);
  }
}

extern "C" __global__ void moe_group(MoeGroupArgs a) {
  __shared__ int tileStart[257];
  __shared__ int rowStart[257];
  if (threadIdx.x == 0) {
    int rows = 0, tiles = 0;
    for (int e = 0; e < a.experts; e++) {
      rowStart[e] = rows;
      tileStart[e] = tiles;
      rows += a.counts[e];
      tiles += (a.counts[e] + a.tileM - 1) / a.tileM;
    }
    tileStart[a.experts] = tiles;
    *a.numTiles = min(tiles, a.maxTiles);
  }
  __syncthreads();
  for (int e = threadIdx.x; e < a.experts; e += blockDim.x) {
    a.cursor[e] = rowStart[e];
    int n = a.counts[e];
    for (int i = 0; i * a.tileM < n; i++) {
      int tile = tileStart[e] + i;
      if (tile >= a.maxTiles) break;
      a.tiles[tile * 3] = e;
      a.tiles[tile * 3 + 1] = rowStart[e] + i * a.tileM;
      a.tiles[tile * 3 + 2] = rowStart[e] + min(n, (i + 1) * a.tileM);
    }
  }
}

extern "C" __global__ void moe_scatter(MoeScatterArgs a) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= a.numAssignments) return;
  int row = atomicAdd(&a.cursor[a.expertIds[i]], 1);
  a.assign[row] = i;
}
