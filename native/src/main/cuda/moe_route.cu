// MoE routing and token grouping by expert.
//   moe_topk:    per token, logits + bias, top-k (ties: lower expert), softmax over the chosen k;
//                counts[e] += 1 for each choice.            Bytes: T*E*4 read, T*k*8 written.
//   moe_group:   one block: prefix sum of counts -> first sorted row per expert, and the GEMM tile
//                list (expert, row range) of tileM rows each. O(E + tiles). Tiles only for the experts
//                this device holds ([firstExpert, firstExpert + heldExperts), all but on expert-parallel
//                ranks), named by their index among them; the others' rows are sorted but never computed.
//                With tailRows > 0 (GPTOSS_CUDA_MOE_TAILS=on) an expert's last tile of 1..tailRows rows goes to a
//                second list instead, in tiles of tailTileM rows (the tensor-core gemv's).
//   moe_scatter: per assignment, sorted row = cursor[e]++ ; assign[row] = t*k + j.
//   moe_route_small: the four steps above (with the zeroing of counts) in one block of 256 threads,
//                for steps with T*k <= ROUTE_SMALL_MAX and E <= ROUTE_MAX_EXPERTS: counts and cursors
//                live in shared memory; one warp per token picks the top k by warp argmax (the same
//                choices, values and softmax code as moe_topk, so the same bits). Same outputs as the
//                four launches except that rows inside an expert may come in another order.
// Row order inside an expert depends on atomics, but every output is written at its (t, j) slot,
// so results do not depend on it.
#include "gptoss_kernels.h"

#define MAX_TOPK 8
#define ROUTE_SMALL_MAX 256      // most assignments (T * k) of moe_route_small: one per thread
#define ROUTE_MAX_EXPERTS 256

// Softmax over the chosen logits (best first), written at the token's k slots.
__device__ __forceinline__ void route_softmax(const int* idx, float* val, int k, int* ids, float* w) {
  float sum = 0.f, top = val[0];
  for (int j = 0; j < k; j++) {
    val[j] = expf(val[j] - top);
    sum += val[j];
  }
  for (int j = 0; j < k; j++) {
    ids[j] = idx[j];
    w[j] = val[j] / sum;
  }
}

// Expert e's tiles of tileM rows: (e, first row, end row), at tile indices tileStart.. (below maxTiles).
__device__ __forceinline__ void route_tiles(int e, int n, int rowStart, int tileStart, int tileM, int maxTiles,
                                            int* tiles) {
  for (int i = 0; i * tileM < n; i++) {
    int tile = tileStart + i;
    if (tile >= maxTiles) break;
    tiles[tile * 3] = e;
    tiles[tile * 3 + 1] = rowStart + i * tileM;
    tiles[tile * 3 + 2] = rowStart + min(n, (i + 1) * tileM);
  }
}

// Whether this device holds expert e's weights (expert parallel ranks hold a range; others all).
__device__ __forceinline__ bool held(int e, int first, int count) { return e >= first && e < first + count; }

extern "C" __global__ void moe_topk(MoeRouteArgs a) {
  pdl_begin();
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
  route_softmax(idx, val, a.k, a.expertIds + t * a.k, a.weights + t * a.k);
  for (int j = 0; j < a.k; j++) atomicAdd(&a.counts[idx[j]], 1);
}

// The rows of an expert of n rows that go to the tail list: its last tile's when that holds 1..tailRows rows, else 0
// (always 0 with tailRows 0, the tails off).
__device__ __forceinline__ int tail_rows(int n, int tileM, int tailRows) {
  const int rem = n % tileM;
  return rem > 0 && rem <= tailRows ? rem : 0;
}

extern "C" __global__ void moe_group(MoeGroupArgs a) {
  pdl_begin();
  __shared__ int tileStart[257];
  __shared__ int rowStart[257];
  __shared__ int tailStart[257];
  if (threadIdx.x == 0) {
    int rows = 0, tiles = 0, tails = 0;
    for (int e = 0; e < a.experts; e++) {
      rowStart[e] = rows;
      tileStart[e] = tiles;
      tailStart[e] = tails;
      const int n = a.counts[e], cut = tail_rows(n, a.tileM, a.tailRows);
      rows += n;
      if (held(e, a.firstExpert, a.heldExperts)) {
        tiles += (n - cut + a.tileM - 1) / a.tileM;
        if (cut > 0) tails += (cut + a.tailTileM - 1) / a.tailTileM;
      }
    }
    tileStart[a.experts] = tiles;
    *a.numTiles = min(tiles, a.maxTiles);
    if (a.tailRows > 0) *a.numTailTiles = min(tails, a.maxTailTiles);
  }
  __syncthreads();
  for (int e = threadIdx.x; e < a.experts; e += blockDim.x) {
    a.cursor[e] = rowStart[e];
    if (held(e, a.firstExpert, a.heldExperts)) {
      const int n = a.counts[e], cut = tail_rows(n, a.tileM, a.tailRows);
      route_tiles(e - a.firstExpert, n - cut, rowStart[e], tileStart[e], a.tileM, a.maxTiles, a.tiles);
      if (cut > 0) {
        route_tiles(e - a.firstExpert, cut, rowStart[e] + n - cut, tailStart[e], a.tailTileM, a.maxTailTiles, a.tailTiles);
      }
    }
  }
}

extern "C" __global__ void moe_scatter(MoeScatterArgs a) {
  pdl_begin();
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= a.numAssignments) return;
  int row = atomicAdd(&a.cursor[a.expertIds[i]], 1);
  a.assign[row] = i;
}

// Launch: 1 block of 256 threads. Bytes: T*E*4 read; T*k*12 + tiles*12 written.
extern "C" __global__ void __launch_bounds__(256) moe_route_small(MoeRouteSmallArgs a) {
  pdl_begin();
  __shared__ int count[ROUTE_MAX_EXPERTS];
  __shared__ int cursor[ROUTE_MAX_EXPERTS];
  __shared__ int rowStart[ROUTE_MAX_EXPERTS];
  __shared__ int tileStart[ROUTE_MAX_EXPERTS];
  __shared__ int ids[ROUTE_SMALL_MAX];
  const int E = a.experts, k = a.k, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
  for (int e = threadIdx.x; e < E; e += blockDim.x) count[e] = 0;
  __syncthreads();
  // Top k, one warp per token: round j takes the largest logit + bias among the experts not taken,
  // ties to the lower expert (as moe_topk's scan in expert order with a strict >).
  for (int t = threadIdx.x >> 5; t < a.numTokens; t += warps) {
    const float* lg = a.logits + (long long)t * E;
    int idx[MAX_TOPK];
    float val[MAX_TOPK];
    for (int j = 0; j < k; j++) {
      int best = 0x7fffffff;  // none
      float bv = 0.f;
      for (int e = lane; e < E; e += 32) {
        bool taken = false;
        for (int q = 0; q < j; q++) taken |= idx[q] == e;
        if (taken) continue;
        float v = lg[e] + a.bias[e];
        if (best == 0x7fffffff || v > bv) {
          best = e;
          bv = v;
        }
      }
      for (int o = 16; o > 0; o >>= 1) {
        int ob = __shfl_xor_sync(0xffffffffu, best, o);
        float ov = __shfl_xor_sync(0xffffffffu, bv, o);
        bool none = best == 0x7fffffff, onone = ob == 0x7fffffff;
        if (!onone && (none || ov > bv || (ov == bv && ob < best))) {
          best = ob;
          bv = ov;
        }
      }
      idx[j] = best;
      val[j] = bv;
    }
    if (lane == 0) {
      route_softmax(idx, val, k, a.expertIds + t * k, a.weights + t * k);
      for (int j = 0; j < k; j++) {
        ids[t * k + j] = idx[j];
        atomicAdd(&count[idx[j]], 1);
      }
    }
  }
  __syncthreads();
  // Exclusive prefix sums of rows and tiles per expert (moe_group's), warp 0, 32 experts at a time.
  if (threadIdx.x < 32) {
    int rows = 0, tiles = 0;
    for (int base = 0; base < E; base += 32) {
      int e = base + lane;
      int c = e < E ? count[e] : 0, tl = held(e, a.firstExpert, a.heldExperts) ? (c + a.tileM - 1) / a.tileM : 0;
      int rc = c, tc = tl;
      for (int o = 1; o < 32; o <<= 1) {
        int ur = __shfl_up_sync(0xffffffffu, rc, o), ut = __shfl_up_sync(0xffffffffu, tc, o);
        if (lane >= o) {
          rc += ur;
          tc += ut;
        }
      }
      if (e < E) {
        rowStart[e] = rows + rc - c;
        tileStart[e] = tiles + tc - tl;
      }
      rows += __shfl_sync(0xffffffffu, rc, 31);
      tiles += __shfl_sync(0xffffffffu, tc, 31);
    }
    if (lane == 0) *a.numTiles = min(tiles, a.maxTiles);
  }
  __syncthreads();
  for (int e = threadIdx.x; e < E; e += blockDim.x) {
    cursor[e] = rowStart[e];
    if (held(e, a.firstExpert, a.heldExperts)) {
      route_tiles(e - a.firstExpert, count[e], rowStart[e], tileStart[e], a.tileM, a.maxTiles, a.tiles);
    }
  }
  __syncthreads();
  int n = a.numTokens * k;
  for (int i = threadIdx.x; i < n; i += blockDim.x) a.assign[atomicAdd(&cursor[ids[i]], 1)] = i;
}
