// Paged grouped-query attention with sinks and the sliding window on tensor cores (mma.sync
// m16n8k16, bf16 in, float32 accumulate), flash-attention style, with split-K over the keys.
// bf16 K/V (or FP8 E4M3 with -DGPTOSS_KV_FP8, widened to bf16 in registers), head_dim 16, 32 or 64,
// 16-token pages; attention.cu is the SIMT slow twin and the path for everything else (float32 K/V,
// other head dims or page sizes).
//
// Math, per query row (token at position p, head h, kv head h / group), as attention.cu:
//   keys j with lo < j <= p, lo = p - window on sliding layers (window > 0), none below 0 on full ones
//   s_j = (q . k_j) * scale;  m = max(sink_h, max_j s_j)
//   out = sum_j exp(s_j - m) v_j / (exp(sink_h - m) + sum_j exp(s_j - m))
// computed in base 2 (q is pre-scaled by scale * log2 e, the sink by log2 e): same value.
//
// Page layout (written by rope.cu): [page][layerOfType][k|v]; K part [slot][kvDim] (row-major per
// key), V part transposed [kvHead][headDim][slot]. Every B operand is then a contiguous load straight
// from global memory into registers (no shared memory, no barriers):
//   S = Q K^T: a dot over d is unchanged by a permutation of d applied to Q and K alike, so lane
//     (g = lane/4, t = lane%4) takes d = t*hd/4 + 4kk + {0..3} for k-step kk: one 16-byte (hd 32,
//     64) or 8-byte (hd 16) load per key covers every k-step, and Q's A fragment uses the same order.
//   O = P V: S column n of n-tile nt stands for key 4(n/2) + 2nt + n%2 of the 16-key chunk, so the
//     P A-fragment slots (2t, 2t+1, 2t+8, 2t+9) of a lane are keys 4t..4t+3, and the V^T B fragment
//     is one 8-byte load V^T[d = 8j + g][4t..4t+3]. A 16-key chunk is one page, never crossing one.
// The next chunk's K and V are loaded while the current chunk is computed; page ids come 32 at a time.
//
// One warp = one task = up to 16 query rows of one kv head: tpw = 16/group consecutive tokens of a
// work item x group heads (a decode token: group rows, padded to 16). Each lane owns rows g and g+8;
// the online softmax lives in registers; P is rounded to bf16 for the PV product. Precise mode
// (outLo != null): Q = hi + lo and P = hi + lo in bf16, two mma each (K and V are exact bf16).
// Grid (ceil(tasks / warps per block), kvHeads, splits); split s takes a contiguous 1/splits of the
// warp's 16-key chunks. splits == 1: the warp normalises and writes out (and outLo) itself; else it
// writes (m, l, unnormalised acc[hd]) per row to partials and attention_combine merges the splits,
// adds the sink and normalises. The host picks splits from the step's shape only (CudaBackend).
//
// Measured on an H100 (attention_check, CUDA graph, 64/8 heads of 64): batch 1,024 decode at context
// 1,536: 1.13 ms per layer = 2.84 TB/s of K/V (the SIMT kernel: 5.3 ms, 0.6 TB/s); one sequence at
// context 2,048: ~11 us per full layer with 16-33 splits (SIMT: 235 us), 7.4 us per sliding layer.
//
// Bytes: each task reads K and V of its keys once, 2 * keys * hd * 2 bytes (prefill tasks of one item
// share them through L2), plus q (16 * hd * 4) and out; decode at batch 1,024, context 1,536, 8 kv
// heads of 64: 1024 * 8 * 1536 * 256 B = 3.2 GB per layer, memory-bound (H100 ~3.35 TB/s ~ 1 ms).
// Flops (tensor, padded rows): 4 * 16 * keys * hd per task (x2 precise); combine: splits * rows * hd.
#include "gptoss_kernels.h"

#define AM_NEG_INF __int_as_float(0xff800000)
#define AM_LOG2E 1.4426950408889634f

// c[0..3] += A[16x16] * B[16x8]; a: 4 registers of bf16 pairs, b0/b1: bf16 pairs.
__device__ __forceinline__ void mma_bf16_16816(float* c, const unsigned* a, unsigned b0, unsigned b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats to a bf16 pair (round to nearest even), lo in the low half.
__device__ __forceinline__ unsigned am_pack(float lo, float hi) {
  unsigned r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}

__device__ __forceinline__ float am_lo_of(unsigned packed, int half) {
  return __uint_as_float(half ? (packed & 0xffff0000u) : (packed << 16));
}

// Which tokens of which item a task (warp) covers; shared by attention_mma and attention_combine.
struct AmTask {
  int seq, firstToken, tokens, group;  // tokens: of this task (<= 16 / group), starting at firstToken
};

__device__ __forceinline__ bool am_task(const AttentionArgs& a, int task, AmTask& w) {
  int item = task / a.warpsPerItem, sub = task % a.warpsPerItem;
  if (item >= a.numItems) return false;
  w.group = a.heads / a.kvHeads;
  int tpw = w.group >= 16 ? 1 : 16 / w.group;
  int nt = a.items[item * 3 + 2];
  w.seq = a.items[item * 3];
  w.firstToken = a.items[item * 3 + 1] + sub * tpw;
  w.tokens = min(tpw, nt - sub * tpw);
  return w.tokens > 0;
}

#ifndef GPTOSS_KV_F32
template <int HD, bool PRECISE>
__device__ __forceinline__ void attention_mma_body(const AttentionArgs& a) {
  constexpr int KS = HD / 16;   // k-steps of S = Q K^T
  constexpr int KW = HD / 8;    // 32-bit words of K per lane per key (hd/4 bf16)
  constexpr int NJ = HD / 8;    // n-tiles of O = P V
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int task = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  const int kvh = blockIdx.y, split = blockIdx.z;
  AmTask w;
  if (!am_task(a, task, w)) return;  // no barriers below: whole warps leave together
  const int qDim = a.heads * HD, kvDim = a.kvHeads * HD;
  // this lane's two rows
  int tok0 = g / w.group, tok1 = (g + 8) / w.group;
  bool ok0 = tok0 < w.tokens, ok1 = tok1 < w.tokens;
  int T0 = w.firstToken + tok0, T1 = w.firstToken + tok1;
  int h0 = kvh * w.group + g % w.group, h1 = kvh * w.group + (g + 8) % w.group;
  int p0 = ok0 ? a.positions[T0] : -1, p1 = ok1 ? a.positions[T1] : -1;
  int pmin = a.positions[w.firstToken], pmax = pmin;
  for (int i = 1; i < w.tokens; i++) {
    int p = a.positions[w.firstToken + i];
    pmin = min(pmin, p);
    pmax = max(pmax, p);
  }
  // Q fragments (row g: a[0], a[2]; row g+8: a[1], a[3]), d order as K's
  unsigned qa[KS][4], ql[PRECISE ? KS : 1][4];
  {
    const float qs = a.scale * AM_LOG2E;
    const float* q0 = a.q + (long long)T0 * qDim + h0 * HD + t * (HD / 4);
    const float* q1 = a.q + (long long)T1 * qDim + h1 * HD + t * (HD / 4);
#pragma unroll
    for (int kk = 0; kk < KS; kk++) {
      float4 x0 = ok0 ? *(const float4*)(q0 + 4 * kk) : make_float4(0.f, 0.f, 0.f, 0.f);
      float4 x1 = ok1 ? *(const float4*)(q1 + 4 * kk) : make_float4(0.f, 0.f, 0.f, 0.f);
      x0.x *= qs; x0.y *= qs; x0.z *= qs; x0.w *= qs;
      x1.x *= qs; x1.y *= qs; x1.z *= qs; x1.w *= qs;
      qa[kk][0] = am_pack(x0.x, x0.y);
      qa[kk][1] = am_pack(x1.x, x1.y);
      qa[kk][2] = am_pack(x0.z, x0.w);
      qa[kk][3] = am_pack(x1.z, x1.w);
      if (PRECISE) {
        ql[kk][0] = am_pack(x0.x - am_lo_of(qa[kk][0], 0), x0.y - am_lo_of(qa[kk][0], 1));
        ql[kk][1] = am_pack(x1.x - am_lo_of(qa[kk][1], 0), x1.y - am_lo_of(qa[kk][1], 1));
        ql[kk][2] = am_pack(x0.z - am_lo_of(qa[kk][2], 0), x0.w - am_lo_of(qa[kk][2], 1));
        ql[kk][3] = am_pack(x1.z - am_lo_of(qa[kk][3], 0), x1.w - am_lo_of(qa[kk][3], 1));
      }
    }
  }
  // this split's chunks (16 keys = one page)
  const int lo = a.window > 0 ? max(0, pmin - a.window + 1) : 0;
  const int cLo = lo >> 4, n = (pmax >> 4) - cLo + 1;
  const int cb = cLo + (int)((long long)split * n / a.splits), ce = cLo + (int)((long long)(split + 1) * n / a.splits);
  const int* table = a.pageTable + (long long)w.seq * a.maxPages;
  const long long pageStride = (long long)a.layers * 2 * 16 * kvDim;
  const kv_t* layerBase = a.kvPool + (long long)a.layerOfType * 2 * 16 * kvDim;
  // key of S column n = g in n-tile nt (B fragment rows of K), and this lane's V^T offset
  const int kKey0 = 4 * (g >> 1) + (g & 1);
  const long long kOff = (long long)kKey0 * kvDim + kvh * HD + t * (HD / 4);
  const long long vOff = 16LL * kvDim + (long long)(kvh * HD + g) * 16 + 4 * t;

  // page ids of 32 chunks at a time, one per lane (chunks are loaded in order cb, cb+1, ...)
  int pages = -1;
  auto load = [&](int c, unsigned (&kw)[2][KW], uint2 (&vw)[NJ], int& page) {
    int i = c - cb;
    if ((i & 31) == 0) pages = c + lane < ce ? table[c + lane] : -1;
    page = __shfl_sync(0xffffffffu, pages, i & 31);
    if (page < 0) return;
    const kv_t* base = layerBase + page * pageStride;
#pragma unroll
    for (int nt = 0; nt < 2; nt++) {
      const kv_t* kp = base + kOff + 2 * nt * kvDim;
#ifdef GPTOSS_KV_FP8
      // HD/4 bytes per lane (16, 8 or 4): each 32-bit word of E4M3 becomes two bf16 pairs in the same order
      if (KW == 8) {
        uint4 v = *(const uint4*)kp;
        e4m3x4_to_bf16x4(v.x, kw[nt][0], kw[nt][1]); e4m3x4_to_bf16x4(v.y, kw[nt][2], kw[nt][3]);
        e4m3x4_to_bf16x4(v.z, kw[nt][4], kw[nt][5]); e4m3x4_to_bf16x4(v.w, kw[nt][6], kw[nt][7]);
      } else if (KW == 4) {
        uint2 v = *(const uint2*)kp;
        e4m3x4_to_bf16x4(v.x, kw[nt][0], kw[nt][1]); e4m3x4_to_bf16x4(v.y, kw[nt][2], kw[nt][3]);
      } else {
        e4m3x4_to_bf16x4(*(const unsigned*)kp, kw[nt][0], kw[nt][1]);
      }
#else
      if (KW >= 4) {
#pragma unroll
        for (int i = 0; i < KW / 4; i++) {
          uint4 v = *(const uint4*)(kp + 8 * i);
          kw[nt][4 * i] = v.x; kw[nt][4 * i + 1] = v.y; kw[nt][4 * i + 2] = v.z; kw[nt][4 * i + 3] = v.w;
        }
      } else {
        uint2 v = *(const uint2*)kp;
        kw[nt][0] = v.x; kw[nt][1] = v.y;
      }
#endif
    }
#pragma unroll
    for (int j = 0; j < NJ; j++) {
#ifdef GPTOSS_KV_FP8
      e4m3x4_to_bf16x4(*(const unsigned*)(base + vOff + j * 8 * 16), vw[j].x, vw[j].y);
#else
      vw[j] = *(const uint2*)(base + vOff + j * 8 * 16);
#endif
    }
  };

  float m0 = AM_NEG_INF, m1 = AM_NEG_INF, l0 = 0.f, l1 = 0.f;
  float acc[NJ][4];
#pragma unroll
  for (int j = 0; j < NJ; j++) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.f;

  auto compute = [&](int c, const unsigned (&kw)[2][KW], const uint2 (&vw)[NJ], int page) {
    if (page < 0) return;  // unmapped page: its keys are masked
    float s[2][4];
#pragma unroll
    for (int nt = 0; nt < 2; nt++) {
      s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.f;
#pragma unroll
      for (int kk = 0; kk < KS; kk++) {
        mma_bf16_16816(s[nt], qa[kk], kw[nt][2 * kk], kw[nt][2 * kk + 1]);
        if (PRECISE) mma_bf16_16816(s[nt], ql[kk], kw[nt][2 * kk], kw[nt][2 * kk + 1]);
      }
    }
    float mx0 = AM_NEG_INF, mx1 = AM_NEG_INF;
#pragma unroll
    for (int nt = 0; nt < 2; nt++)
#pragma unroll
      for (int e = 0; e < 2; e++) {
        int key = c * 16 + 4 * t + 2 * nt + e;
        bool v0 = key <= p0 && (a.window == 0 || key > p0 - a.window);
        bool v1 = key <= p1 && (a.window == 0 || key > p1 - a.window);
        s[nt][e] = v0 ? s[nt][e] : AM_NEG_INF;
        s[nt][2 + e] = v1 ? s[nt][2 + e] : AM_NEG_INF;
        mx0 = fmaxf(mx0, s[nt][e]);
        mx1 = fmaxf(mx1, s[nt][2 + e]);
      }
    mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1));
    mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
    mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1));
    mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
    float mn0 = fmaxf(m0, mx0), mn1 = fmaxf(m1, mx1);
    float ms0 = mn0 == AM_NEG_INF ? 0.f : mn0, ms1 = mn1 == AM_NEG_INF ? 0.f : mn1;
    float corr0 = exp2f(m0 - ms0), corr1 = exp2f(m1 - ms1);
    m0 = mn0;
    m1 = mn1;
    float p[2][4];
#pragma unroll
    for (int nt = 0; nt < 2; nt++) {
      p[nt][0] = exp2f(s[nt][0] - ms0);
      p[nt][1] = exp2f(s[nt][1] - ms0);
      p[nt][2] = exp2f(s[nt][2] - ms1);
      p[nt][3] = exp2f(s[nt][3] - ms1);
    }
    l0 = l0 * corr0 + (p[0][0] + p[0][1] + p[1][0] + p[1][1]);
    l1 = l1 * corr1 + (p[0][2] + p[0][3] + p[1][2] + p[1][3]);
    unsigned pa[4] = {am_pack(p[0][0], p[0][1]), am_pack(p[0][2], p[0][3]), am_pack(p[1][0], p[1][1]),
                      am_pack(p[1][2], p[1][3])};
    unsigned pl[4];
    if (PRECISE) {
      pl[0] = am_pack(p[0][0] - am_lo_of(pa[0], 0), p[0][1] - am_lo_of(pa[0], 1));
      pl[1] = am_pack(p[0][2] - am_lo_of(pa[1], 0), p[0][3] - am_lo_of(pa[1], 1));
      pl[2] = am_pack(p[1][0] - am_lo_of(pa[2], 0), p[1][1] - am_lo_of(pa[2], 1));
      pl[3] = am_pack(p[1][2] - am_lo_of(pa[3], 0), p[1][3] - am_lo_of(pa[3], 1));
    }
#pragma unroll
    for (int j = 0; j < NJ; j++) {
      acc[j][0] *= corr0;
      acc[j][1] *= corr0;
      acc[j][2] *= corr1;
      acc[j][3] *= corr1;
      mma_bf16_16816(acc[j], pa, vw[j].x, vw[j].y);
      if (PRECISE) mma_bf16_16816(acc[j], pl, vw[j].x, vw[j].y);
    }
  };

  // two register sets: chunk c computes from one while chunk c+1 loads into the other
  unsigned kA[2][KW], kB[2][KW];
  uint2 vA[NJ], vB[NJ];
  int pageA = -1, pageB = -1;
  if (cb < ce) load(cb, kA, vA, pageA);
  for (int c = cb; c < ce; c += 2) {
    load(c + 1, kB, vB, pageB);
    compute(c, kA, vA, pageA);
    if (c + 1 >= ce) break;
    load(c + 2, kA, vA, pageA);
    compute(c + 1, kB, vB, pageB);
  }

  l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
  l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
  l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
  l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
  if (a.splits == 1) {
#pragma unroll
    for (int r = 0; r < 2; r++) {
      if (!(r ? ok1 : ok0)) continue;
      int h = r ? h1 : h0;
      float m = r ? m1 : m0, l = r ? l1 : l0;
      float sink = a.sinks[h] * AM_LOG2E;
      float mf = fmaxf(m, sink);
      float keep = exp2f(m - mf);
      float inv = keep / (l * keep + exp2f(sink - mf));
      long long o = (long long)(r ? T1 : T0) * qDim + h * HD + 2 * t;
#pragma unroll
      for (int j = 0; j < NJ; j++) {
        float v0 = acc[j][2 * r] * inv, v1 = acc[j][2 * r + 1] * inv;
        unsigned hi = am_pack(v0, v1);
        *(unsigned*)(a.out + o + 8 * j) = hi;
        if (PRECISE) *(unsigned*)(a.outLo + o + 8 * j) = am_pack(v0 - am_lo_of(hi, 0), v1 - am_lo_of(hi, 1));
      }
    }
  } else {
    const int tasks = a.numItems * a.warpsPerItem;
    float* rec0 = a.partials + ((((long long)split * a.kvHeads + kvh) * tasks + task) * 16 + g) * (HD + 2);
    float* rec1 = rec0 + 8 * (HD + 2);
    if (t == 0) {
      rec0[0] = m0; rec0[1] = l0;
      rec1[0] = m1; rec1[1] = l1;
    }
#pragma unroll
    for (int j = 0; j < NJ; j++) {
      *(float2*)(rec0 + 2 + 8 * j + 2 * t) = make_float2(acc[j][0], acc[j][1]);
      *(float2*)(rec1 + 2 + 8 * j + 2 * t) = make_float2(acc[j][2], acc[j][3]);
    }
  }
}
#endif

// Blocks of up to 4 warps; grid (ceil(numItems * warpsPerItem / warpsPerBlock), kvHeads, splits).
extern "C" __global__ void __launch_bounds__(128) attention_mma(AttentionArgs a) {
  pdl_begin();
#ifndef GPTOSS_KV_F32
  const bool precise = a.outLo != 0;
  if (a.headDim == 64) {
    if (precise) attention_mma_body<64, true>(a); else attention_mma_body<64, false>(a);
  } else if (a.headDim == 32) {
    if (precise) attention_mma_body<32, true>(a); else attention_mma_body<32, false>(a);
  } else if (a.headDim == 16) {
    if (precise) attention_mma_body<16, true>(a); else attention_mma_body<16, false>(a);
  }
#endif
  // float32 K/V: never launched (CudaBackend uses attention.cu); the symbol exists in both variants.
}

// Merges the splits of attention_mma: per row, M = max(sink, max_s m_s),
//   out = sum_s exp(m_s - M) acc_s / (exp(sink - M) + sum_s exp(m_s - M) l_s)   (base 2 throughout).
// Grid (numItems * warpsPerItem, kvHeads), 256 threads: warp w merges rows w and w + 8, first with
// lanes over splits (weights), then with lanes over d (loads of 8 splits in flight per lane).
// Bytes: splits * rows * (hd + 2) * 4 read, rows * hd * 2 (4 precise) written.
#define AM_MAX_SPLITS 64
extern "C" __global__ void __launch_bounds__(256) attention_combine(AttentionArgs a) {
  pdl_begin();
  __shared__ float weight[8][AM_MAX_SPLITS];
  const int task = blockIdx.x, kvh = blockIdx.y, hd = a.headDim;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  AmTask w;
  if (!am_task(a, task, w)) return;
  const int tasks = a.numItems * a.warpsPerItem, qDim = a.heads * hd, S = min(a.splits, AM_MAX_SPLITS);
  const long long splitStride = (long long)a.kvHeads * tasks * 16 * (hd + 2);
  for (int r = warp; r < 16; r += 8) {
    int tok = r / w.group;
    if (tok >= w.tokens) continue;  // warp-uniform
    int h = kvh * w.group + r % w.group;
    const float* rec = a.partials + (((long long)kvh * tasks + task) * 16 + r) * (hd + 2);
    float sink = a.sinks[h] * AM_LOG2E;
    float m0 = lane < S ? rec[lane * splitStride] : AM_NEG_INF;
    float m1 = lane + 32 < S ? rec[(lane + 32) * splitStride] : AM_NEG_INF;
    float l0 = lane < S ? rec[lane * splitStride + 1] : 0.f;
    float l1 = lane + 32 < S ? rec[(lane + 32) * splitStride + 1] : 0.f;
    float mf = warp_max(fmaxf(sink, fmaxf(m0, m1)));
    float w0 = exp2f(m0 - mf), w1 = exp2f(m1 - mf);
    float inv = 1.f / (exp2f(sink - mf) + warp_sum(l0 * w0 + l1 * w1));
    weight[warp][lane] = w0 * inv;
    weight[warp][lane + 32] = w1 * inv;
    __syncwarp();
    long long o = (long long)(w.firstToken + tok) * qDim + h * hd;
    for (int d = lane; d < hd; d += 32) {
      float v = 0.f;
#pragma unroll 8
      for (int s = 0; s < S; s++) v += weight[warp][s] * rec[s * splitStride + 2 + d];
      store_hi_lo(a.out, a.outLo, o + d, v);
    }
    __syncwarp();
  }
}
