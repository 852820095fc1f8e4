// Paged grouped-query attention with sinks and the sliding window.
//
// Math, per query row (token t at position p, head h, kv head h / (heads/kvHeads)):
//   keys j in [lo, p], lo = max(0, p - window + 1) on sliding layers, 0 on full layers
//   s_j = (q . k_j) * scale;  m = max(sink_h, max_j s_j)
//   out = sum_j exp(s_j - m) v_j / (exp(sink_h - m) + sum_j exp(s_j - m))
// The sink is one extra softmax column that is dropped before multiplying by V.
//
// KV page layout (shared with rope.cu): [page][layerOfType][k|v]; K part [slot][kvDim], V part
// transposed [kvHead][headDim][slot] (for the tensor-core kernel, attention_mma.cu, which is used for
// bf16 K/V, head_dim 16/32/64 and 16-token pages). This SIMT kernel is its slow twin and the path
// for float32 K/V and other head dims.
//
// One block per (work item, kv head). A work item is a run of consecutive query tokens of one
// sequence; its rows are (token, head of the group). K and V are staged in shared memory 32 keys
// at a time and shared by every row of the block; each warp keeps an online softmax for its rows,
// one key per lane for the scores, two head dimensions per lane for the output; the next keys'
// K and V are fetched into registers while the current ones are used. Blocks of 256 threads.
//   attention_prefill: items of up to 64/group tokens, K/V loaded once for all of them.
//   attention_decode:  items of one token (every decode row, and chunks of one token).
// Both cover every case (any positions, window or not); they differ only in rows per warp.
// Bytes: each item reads its keys' K and V once (2 * keys * headDim * sizeof(kv_t) per kv head) and q once;
// flops: 4 * rows * keys * headDim.
#include "gptoss_kernels.h"

#define KC 32
#define MAXHD 64
#define NEG_INF __int_as_float(0xff800000)

#ifndef GPTOSS_KV_FP8
template <int MAXR>
__device__ __forceinline__ void paged_attention(const AttentionArgs& a) {
  __shared__ float ks[KC][MAXHD + 1];
  __shared__ float vs[KC][MAXHD + 1];
  __shared__ float qs[8 * MAXR][MAXHD];
  const int item = blockIdx.x, kvh = blockIdx.y;
  const int seq = a.items[item * 3], t0 = a.items[item * 3 + 1], nt = a.items[item * 3 + 2];
  const int group = a.heads / a.kvHeads;
  const int rows = nt * group;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nw = blockDim.x >> 5;
  const int hd = a.headDim, qDim = a.heads * hd, kvDim = a.kvHeads * hd;
  for (int idx = threadIdx.x; idx < rows * hd; idx += blockDim.x) {
    int r = idx / hd, d = idx % hd;
    int t = t0 + r / group, h = kvh * group + r % group;
    qs[r][d] = a.q[(long long)t * qDim + h * hd + d] * a.scale;
  }
  float m[MAXR], l[MAXR], acc0[MAXR], acc1[MAXR];
  int rpos[MAXR];
#pragma unroll
  for (int i = 0; i < MAXR; i++) {
    int r = warp + i * nw;
    m[i] = NEG_INF;
    l[i] = 0.f;
    acc0[i] = 0.f;
    acc1[i] = 0.f;
    rpos[i] = r < rows ? a.positions[t0 + r / group] : -1;
  }
  int firstPos = a.positions[t0], hi = firstPos;
  for (int i = 1; i < nt; i++) hi = max(hi, a.positions[t0 + i]);
  const int lo = a.window > 0 ? max(0, firstPos - a.window + 1) : 0;
  const int* table = a.pageTable + (long long)seq * a.maxPages;
  const long long layerBase = (long long)a.layerOfType * 2 * a.pageSize * kvDim;
  const long long pageStride = (long long)a.layers * 2 * a.pageSize * kvDim;
  const int halfHd = hd / 2;
  // K/V of the next 32 keys are fetched into registers while the current ones are used.
#ifdef GPTOSS_KV_F32
  typedef float2 kv_pair;  // two float32 head dimensions
  const kv_pair zero = make_float2(0.f, 0.f);
#else
  typedef unsigned kv_pair;  // two bf16 head dimensions
  const kv_pair zero = 0u;
#endif
  kv_pair pk[KC * MAXHD / 2 / 256], pv[KC * MAXHD / 2 / 256];
  auto fetch = [&](int c0) {
#pragma unroll
    for (int q = 0; q < KC * MAXHD / 2 / 256; q++) {
      int idx = threadIdx.x + q * 256;
      pk[q] = zero;
      pv[q] = zero;
      if (idx < KC * halfHd) {
        int j = idx / halfHd, d2 = (idx % halfHd) * 2;
        int key = c0 + j;
        if (key <= hi) {
          int page = table[key / a.pageSize];
          if (page >= 0) {
            long long off = page * pageStride + layerBase + (long long)(key % a.pageSize) * kvDim + kvh * hd + d2;
            pk[q] = *(const kv_pair*)(a.kvPool + off);
            // V is stored transposed in its page: [kvHead][headDim][slot]
            const kv_t* vt = a.kvPool + page * pageStride + layerBase + (long long)a.pageSize * kvDim
                + (long long)(kvh * hd + d2) * a.pageSize + key % a.pageSize;
#ifdef GPTOSS_KV_F32
            pv[q] = make_float2(vt[0], vt[a.pageSize]);
#else
            pv[q] = (unsigned)vt[0] | ((unsigned)vt[a.pageSize] << 16);
#endif
          }
        }
      }
    }
  };
  fetch(lo);
  for (int c0 = lo; c0 <= hi; c0 += KC) {
    __syncthreads();
#pragma unroll
    for (int q = 0; q < KC * MAXHD / 2 / 256; q++) {
      int idx = threadIdx.x + q * 256;
      if (idx < KC * halfHd) {
        int j = idx / halfHd, d2 = (idx % halfHd) * 2;
#ifdef GPTOSS_KV_F32
        ks[j][d2] = pk[q].x;
        ks[j][d2 + 1] = pk[q].y;
        vs[j][d2] = pv[q].x;
        vs[j][d2 + 1] = pv[q].y;
#else
        ks[j][d2] = __uint_as_float(pk[q] << 16);
        ks[j][d2 + 1] = __uint_as_float(pk[q] & 0xffff0000u);
        vs[j][d2] = __uint_as_float(pv[q] << 16);
        vs[j][d2 + 1] = __uint_as_float(pv[q] & 0xffff0000u);
#endif
      }
    }
    __syncthreads();
    if (c0 + KC <= hi) fetch(c0 + KC);
#pragma unroll
    for (int i = 0; i < MAXR; i++) {
      int r = warp + i * nw;
      if (r < rows) {
        int pos = rpos[i];
        int key = c0 + lane;
        bool valid = key <= pos && (a.window == 0 || key > pos - a.window);
        float s = NEG_INF;
        if (valid) {
          float dot = 0.f;
          for (int d = 0; d < hd; d++) dot += qs[r][d] * ks[lane][d];
          s = dot;
        }
        float cmax = warp_max(s);
        if (cmax != NEG_INF) {
          float mn = fmaxf(m[i], cmax);
          float corr = expf(m[i] - mn);
          float p = valid ? expf(s - mn) : 0.f;
          l[i] = l[i] * corr + warp_sum(p);
          float o0 = acc0[i] * corr, o1 = acc1[i] * corr;
          int d1 = lane + 32 < MAXHD ? lane + 32 : lane;
#pragma unroll 8
          for (int j = 0; j < KC; j++) {
            float pj = __shfl_sync(0xffffffffu, p, j);
            o0 += pj * vs[j][lane];
            o1 += pj * vs[j][d1];
          }
          acc0[i] = o0;
          acc1[i] = o1;
          m[i] = mn;
        }
      }
    }
  }
#pragma unroll
  for (int i = 0; i < MAXR; i++) {
    int r = warp + i * nw;
    if (r < rows) {
      int t = t0 + r / group, h = kvh * group + r % group;
      float sink = a.sinks[h];
      float mf = fmaxf(m[i], sink);
      float keep = expf(m[i] - mf);
      float denom = l[i] * keep + expf(sink - mf);
      long long base = (long long)t * qDim + h * hd;
      float v0 = acc0[i] * keep / denom, v1 = acc1[i] * keep / denom;
      if (lane < hd) store_hi_lo(a.out, a.outLo, base + lane, v0);
      if (lane + 32 < hd) store_hi_lo(a.out, a.outLo, base + lane + 32, v1);
    }
  }
}

#endif

// FP8 K/V: AttentionPlan always takes attention_mma; the symbols exist in every variant.
#ifdef GPTOSS_KV_FP8
extern "C" __global__ void attention_prefill(AttentionArgs a) { __trap(); }
extern "C" __global__ void attention_decode(AttentionArgs a) { __trap(); }
#else
extern "C" __global__ void __launch_bounds__(256) attention_prefill(AttentionArgs a) { pdl_begin(); paged_attention<8>(a); }

extern "C" __global__ void __launch_bounds__(256) attention_decode(AttentionArgs a) { pdl_begin(); paged_attention<2>(a); }
#endif
