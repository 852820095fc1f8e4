// Standalone GPU check of the paged attention kernels (attention_mma.cu: tensor cores + split-K and
// its combine; attention.cu: the SIMT twin) against a naive float32 reference kernel.
//   nvcc -std=c++17 -arch=sm_90a -O3 -o /tmp/attention_check native/src/test/cuda/attention_check.cu && /tmp/attention_check
//   (add -DGPTOSS_KV_F32 for float32 K/V: only the SIMT kernel runs then)
// K/V pools are written by the real qkv_rope_store (rope.cu) with rotation off (invFreq 0: cos 1, sin 0)
// and zero bias, so that the stored K/V are the projection's K/V rounded to kv_t; the reference reads
// them from a dense array. Page tables are shuffled, -1 beyond the context and before sliding windows;
// unwritten slots hold a large finite pattern so that an unmasked key would show.
// Prints one KERNELCHECK line per case and kernel, then timings (cudaEvent).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <vector>
#include <string>
#include <algorithm>
#include <random>
#include "../../main/cuda/rope.cu"
#include "../../main/cuda/attention.cu"
#include "../../main/cuda/attention_mma.cu"

#include "check_util.cuh"

static const int PAGE = 16;
static const int TARGET_WARPS = 132;  // as AttentionPlan.TARGET_WARPS
static const int MAX_SPLITS = 64;

// Host split rule: the same as CudaBackend.attentionSplits (shape only).
static int am_splits(int items, int wpi, int kvHeads, int maxPages, int window, int tpw) {
  long long warps = (long long)items * wpi * kvHeads;
  if (warps >= TARGET_WARPS) return 1;
  int s = (int)((TARGET_WARPS + warps - 1) / warps);
  int chunks = maxPages;
  if (window > 0) chunks = std::min(chunks, (window + tpw + 14) / PAGE + 1);
  return std::max(1, std::min(std::min(s, chunks), MAX_SPLITS));
}

#ifndef GPTOSS_KV_F32
static float bf16_round(float f) {
  unsigned u;
  memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  memcpy(&f, &u, 4);
  return f;
}
#endif

// Naive reference: one thread per (token, head); K/V dense [allTokens, kvDim] float, tokens of a
// sequence contiguous from seqStart; keys with an unmapped page are skipped.
__global__ void reference_attention(const float* q, const float* K, const float* V, const int* tokenList, int n,
    const int* tokenSeq, const int* seqStart, const int* positions, const int* table, int maxPages, const float* sinks,
    int heads, int kvHeads, int hd, int window, float scale, float* out) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= n * heads) return;
  int tt = tokenList[idx / heads], h = idx % heads, kvh = h / (heads / kvHeads);
  int s = tokenSeq[tt], pos = positions[tt], qDim = heads * hd, kvDim = kvHeads * hd;
  const float* qr = q + (long long)tt * qDim + h * hd;
  float m = sinks[h];
  for (int j = 0; j <= pos; j++) {
    if (window > 0 && j <= pos - window) continue;
    if (table[s * maxPages + j / PAGE] < 0) continue;
    const float* kr = K + (long long)(seqStart[s] + j) * kvDim + kvh * hd;
    float d = 0.f;
    for (int i = 0; i < hd; i++) d += qr[i] * kr[i];
    m = fmaxf(m, d * scale);
  }
  float den = expf(sinks[h] - m);
  float acc[64];
  for (int i = 0; i < hd; i++) acc[i] = 0.f;
  for (int j = 0; j <= pos; j++) {
    if (window > 0 && j <= pos - window) continue;
    if (table[s * maxPages + j / PAGE] < 0) continue;
    const float* kr = K + (long long)(seqStart[s] + j) * kvDim + kvh * hd;
    const float* vr = V + (long long)(seqStart[s] + j) * kvDim + kvh * hd;
    float d = 0.f;
    for (int i = 0; i < hd; i++) d += qr[i] * kr[i];
    float p = expf(d * scale - m);
    den += p;
    for (int i = 0; i < hd; i++) acc[i] += p * vr[i];
  }
  for (int i = 0; i < hd; i++) out[(long long)tt * qDim + h * hd + i] = acc[i] / den;
}

__global__ void fill_bf16_random(kv_t* p, long long n, unsigned seed) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    unsigned x = (unsigned)i * 2654435761u ^ seed;
    x ^= x >> 13; x *= 0x5bd1e995u; x ^= x >> 15;
    p[i] = to_kv(((x & 0xffff) / 32768.f - 1.f));
  }
}

struct Dev {
  template <class T> static T* up(const std::vector<T>& v) {
    T* d;
    CK(cudaMalloc(&d, std::max<size_t>(1, v.size()) * sizeof(T)));
    if (!v.empty()) CK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
  }
};

// Launches one item list (decode or prefill) as CudaBackend does. kernel: 0 = mma, 1 = SIMT.
// splitsOverride > 0 forces the split count. Returns the split count used.
static int launch_attention(AttentionArgs a, int kernel, bool prefill, int tile, int splitsOverride, cudaStream_t st = 0) {
  if (a.numItems == 0) return 0;
  if (kernel == 1) {
    dim3 grid(a.numItems, a.kvHeads);
    if (prefill) attention_prefill<<<grid, 256, 0, st>>>(a); else attention_decode<<<grid, 256, 0, st>>>(a);
    return 1;
  }
  int group = a.heads / a.kvHeads, tpw = group >= 16 ? 1 : 16 / group;
  int wpi = prefill ? (tile + tpw - 1) / tpw : 1;
  int tasks = a.numItems * wpi;
  int splits = splitsOverride > 0 ? splitsOverride : am_splits(a.numItems, wpi, a.kvHeads, a.maxPages, a.window, tpw);
  a.splits = splits;
  a.warpsPerItem = wpi;
  int wpb = std::min(4, tasks);
  attention_mma<<<dim3((tasks + wpb - 1) / wpb, a.kvHeads, splits), 32 * wpb, 0, st>>>(a);
  if (splits > 1) attention_combine<<<dim3(tasks, a.kvHeads), 256, 0, st>>>(a);
  return splits;
}

struct SeqSpec { int ctx, n; };  // ctx keys before the step's n new tokens

static int failures = 0;

static void run_case(const char* label, int heads, int kvHeads, int hd, std::vector<SeqSpec> seqs, int window,
    unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> U(-1.f, 1.f);
  int group = heads / kvHeads, qDim = heads * hd, kvDim = kvHeads * hd, width = qDim + 2 * kvDim;
  int tile = std::max(1, 64 / group);
  int S = (int)seqs.size();
  std::vector<int> seqStart(S + 1, 0), positions, tokenSeq;
  int maxPages = 1;
  for (int s = 0; s < S; s++) {
    int total = seqs[s].ctx + seqs[s].n;
    seqStart[s + 1] = seqStart[s] + total;
    for (int j = 0; j < total; j++) { positions.push_back(j); tokenSeq.push_back(s); }
    maxPages = std::max(maxPages, (total + PAGE - 1) / PAGE + 2);
  }
  int T = seqStart[S];
  // shuffled pages; -1 beyond the context and for pages wholly before every new token's window
  int poolPages = 0;
  for (int s = 0; s < S; s++) poolPages += (seqs[s].ctx + seqs[s].n + PAGE - 1) / PAGE;
  poolPages += 3;
  std::vector<int> perm(poolPages);
  for (int i = 0; i < poolPages; i++) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<int> table((size_t)S * maxPages, -1);
  int next = 0;
  for (int s = 0; s < S; s++) {
    int total = seqs[s].ctx + seqs[s].n, lowest = window > 0 ? std::max(0, seqs[s].ctx - window + 1) : 0;
    for (int p = 0; p < (total + PAGE - 1) / PAGE; p++) {
      int pg = perm[next++];
      if ((p + 1) * PAGE - 1 >= lowest) table[(size_t)s * maxPages + p] = pg;
    }
  }
  std::vector<float> qkv((size_t)T * width), sinks(heads);
  for (size_t i = 0; i < qkv.size(); i++) {
    int c = (int)(i % width);
    qkv[i] = U(rng) * (c < qDim ? 4.f : 1.f);
  }
  for (int h = 0; h < heads; h++) sinks[h] = 2.f * U(rng);
  std::vector<float> Kd((size_t)T * kvDim), Vd((size_t)T * kvDim);
  for (int t = 0; t < T; t++)
    for (int i = 0; i < kvDim; i++) {
#ifdef GPTOSS_KV_F32
      Kd[(size_t)t * kvDim + i] = qkv[(size_t)t * width + qDim + i];
      Vd[(size_t)t * kvDim + i] = qkv[(size_t)t * width + qDim + kvDim + i];
#else
      Kd[(size_t)t * kvDim + i] = bf16_round(qkv[(size_t)t * width + qDim + i]);
      Vd[(size_t)t * kvDim + i] = bf16_round(qkv[(size_t)t * width + qDim + kvDim + i]);
#endif
    }
  // items as StepMetadata cuts them: the n new tokens of each sequence
  std::vector<int> dec, pre, newTokens;
  for (int s = 0; s < S; s++) {
    int first = seqStart[s] + seqs[s].ctx, n = seqs[s].n;
    for (int t = first; t < first + n; t++) newTokens.push_back(t);
    if (n == 1) { dec.push_back(s); dec.push_back(first); dec.push_back(1); }
    else for (int t = first; t < first + n; t += tile) { pre.push_back(s); pre.push_back(t); pre.push_back(std::min(tile, first + n - t)); }
  }
  const int layers = 2, lot = 1;
  size_t poolElems = (size_t)poolPages * layers * 2 * PAGE * kvDim;
  kv_t* pool;
  CK(cudaMalloc(&pool, poolElems * sizeof(kv_t)));
  CK(cudaMemset(pool, 0x4f, poolElems * sizeof(kv_t)));  // finite garbage (~2e9) in unwritten slots
  float* dqkv = Dev::up(qkv);
  float* dbias = Dev::up(std::vector<float>(width, 0.f));
  float* dinv = Dev::up(std::vector<float>(hd / 2, 0.f));
  int* dpos = Dev::up(positions);
  int* dseq = Dev::up(tokenSeq);
  int* dstart = Dev::up(seqStart);
  int* dtable = Dev::up(table);
  float* dsinks = Dev::up(sinks);
  float* dK = Dev::up(Kd);
  float* dV = Dev::up(Vd);
  int* ddec = Dev::up(dec);
  int* dpre = Dev::up(pre);
  int* dnew = Dev::up(newTokens);
  float *dq, *dref, *dpart;
  bf16 *dout, *doutLo;
  CK(cudaMalloc(&dq, (size_t)T * qDim * 4));
  CK(cudaMalloc(&dref, (size_t)T * qDim * 4));
  CK(cudaMalloc(&dout, (size_t)T * qDim * 2));
  CK(cudaMalloc(&doutLo, (size_t)T * qDim * 2));
  // the split rule keeps partials under 2 * TARGET_WARPS * 16 rows; the forced 3 splits may need more
  int tpw = group >= 16 ? 1 : 16 / group, wpi = (tile + tpw - 1) / tpw;
  size_t partRows = std::max<size_t>((size_t)2 * TARGET_WARPS * 16, (size_t)3 * ((pre.size() / 3) * wpi + dec.size() / 3) * kvHeads * 16);
  CK(cudaMalloc(&dpart, partRows * (hd + 2) * 4));
  QkvRopeArgs ra = {dqkv, dbias, dinv, dpos, dseq, dtable, dq, pool, T, heads, kvHeads, hd, PAGE, maxPages, layers, lot, 1.f};
  qkv_rope_store<<<T, 128>>>(ra);
  int nNew = (int)newTokens.size();
  reference_attention<<<(nNew * heads + 127) / 128, 128>>>(dq, dK, dV, dnew, nNew, dseq, dstart, dpos, dtable, maxPages,
      dsinks, heads, kvHeads, hd, window, 1.f / sqrtf((float)hd), dref);
  CK(cudaDeviceSynchronize());
  std::vector<float> ref((size_t)T * qDim);
  CK(cudaMemcpy(ref.data(), dref, ref.size() * 4, cudaMemcpyDeviceToHost));
  bool mmaOk = true;
#ifdef GPTOSS_KV_F32
  mmaOk = false;
#endif
  if (hd % 16 != 0) mmaOk = false;
  for (int kernel = 0; kernel < 2; kernel++) {
    if (kernel == 0 && !mmaOk) continue;
    for (int precise = 0; precise < 2; precise++) {
      // mma: the split rule's count, then one split, then 3 forced splits (2 with a window)
      std::vector<int> overrides = kernel == 0 ? std::vector<int>{0, 1, 3} : std::vector<int>{0};
      for (int ov : overrides) {
        CK(cudaMemset(dout, 0xff, (size_t)T * qDim * 2));
        CK(cudaMemset(doutLo, 0, (size_t)T * qDim * 2));
        AttentionArgs a = {dq, pool, dtable, dsinks, dpos, dpre, dout, precise ? doutLo : nullptr, dpart,
                           (int)pre.size() / 3, heads, kvHeads, hd, PAGE, maxPages, layers, lot, window,
                           1.f / sqrtf((float)hd), 1, 1};
        int sp = launch_attention(a, kernel, true, tile, ov);
        a.items = ddec;
        a.numItems = (int)dec.size() / 3;
        int sd = launch_attention(a, kernel, false, tile, ov);
        CK(cudaDeviceSynchronize());
        std::vector<bf16> o((size_t)T * qDim), ol((size_t)T * qDim);
        CK(cudaMemcpy(o.data(), dout, o.size() * 2, cudaMemcpyDeviceToHost));
        CK(cudaMemcpy(ol.data(), doutLo, ol.size() * 2, cudaMemcpyDeviceToHost));
        double num = 0, den = 0, maxAbs = 0;
        for (int t : newTokens)
          for (int i = 0; i < qDim; i++) {
            size_t k = (size_t)t * qDim + i;
            double v = host_bf2f(o[k]) + (precise ? host_bf2f(ol[k]) : 0.f), r = ref[k];
            double d = std::isfinite(v) ? fabs(v - r) : 1e30;
            num += d * d;
            den += r * r;
            maxAbs = std::max(maxAbs, d);
          }
        double rel = sqrt(num / std::max(den, 1e-30));
        double tol = precise ? 1e-3 : 1e-2;
        bool pass = rel <= tol;
        if (!pass) failures++;
        printf("KERNELCHECK attention_%s_%s %s %s heads=%d/%d hd=%d window=%d splits(pre/dec)=%d/%d rows=%d maxabs=%.3g relL2=%.3g tol=%.0e\n",
               kernel == 0 ? "mma" : "simt", precise ? "precise" : "fast", label, pass ? "PASS" : "FAIL", heads, kvHeads,
               hd, window, sp, sd, nNew * heads, maxAbs, rel, tol);
      }
    }
  }
  cudaFree(pool); cudaFree(dqkv); cudaFree(dbias); cudaFree(dinv); cudaFree(dpos); cudaFree(dseq); cudaFree(dstart);
  cudaFree(dtable); cudaFree(dsinks); cudaFree(dK); cudaFree(dV); cudaFree(ddec); cudaFree(dpre); cudaFree(dnew);
  cudaFree(dq); cudaFree(dref); cudaFree(dout); cudaFree(doutLo); cudaFree(dpart);
}

// Timing on random pools (no reference): n sequences of ctx keys each decoding one token.
__global__ void empty_kernel() {}

static void time_decode(int nSeq, int ctx, int window, const char* what, std::vector<int> splitList = {0}) {
  const int heads = 64, kvHeads = 8, hd = 64, kvDim = kvHeads * hd, qDim = heads * hd, layers = 1;
  int pagesPer = (ctx + PAGE - 1) / PAGE, maxPages = pagesPer;
  size_t poolElems = (size_t)nSeq * pagesPer * layers * 2 * PAGE * kvDim;
  kv_t* pool;
  CK(cudaMalloc(&pool, poolElems * sizeof(kv_t)));
  fill_bf16_random<<<4096, 256>>>(pool, (long long)poolElems, 1234u);
  std::vector<int> table((size_t)nSeq * maxPages), positions(nSeq), items;
  for (size_t i = 0; i < table.size(); i++) table[i] = (int)i;
  for (int s = 0; s < nSeq; s++) { positions[s] = ctx - 1; items.push_back(s); items.push_back(s); items.push_back(1); }
  std::vector<float> q((size_t)nSeq * qDim), sinks(heads, 0.5f);
  for (size_t i = 0; i < q.size(); i++) q[i] = (float)((i * 2654435761u) % 1000) / 250.f - 2.f;
  int* dtable = Dev::up(table);
  int* dpos = Dev::up(positions);
  int* ditems = Dev::up(items);
  float* dq = Dev::up(q);
  float* dsinks = Dev::up(sinks);
  bf16 *dout, *doutLo;
  float* dpart;
  CK(cudaMalloc(&dout, (size_t)nSeq * qDim * 2));
  CK(cudaMalloc(&doutLo, (size_t)nSeq * qDim * 2));
  CK(cudaMalloc(&dpart, std::max<size_t>((size_t)2 * TARGET_WARPS * 16, (size_t)128 * nSeq * kvHeads * 16) * (hd + 2) * 4));
  int keys = window > 0 ? std::min(window, ctx) : ctx;
  double bytes = (double)nSeq * kvHeads * keys * hd * 2 * sizeof(kv_t);
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  for (int kernel = 0; kernel < 2; kernel++) {
#ifdef GPTOSS_KV_F32
    if (kernel == 0) continue;
#endif
    for (int precise = 0; precise < 2; precise++)
    for (int ov : splitList) {
      if (kernel == 1 && ov != 0) continue;
      AttentionArgs a = {dq, pool, dtable, dsinks, dpos, ditems, dout, precise ? doutLo : nullptr, dpart, nSeq, heads,
                         kvHeads, hd, PAGE, maxPages, layers, 0, window, 0.125f, 1, 1};
      int splits = 0;
      for (int i = 0; i < 3; i++) splits = launch_attention(a, kernel, false, 8, ov);
      // 20 back-to-back layers captured in a CUDA graph: GPU time without host launch overhead
      const int iters = 20;
      cudaStream_t st;
      CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
      cudaGraph_t graph;
      cudaGraphExec_t exec;
      CK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
      for (int i = 0; i < iters; i++) launch_attention(a, kernel, false, 8, ov, st);
      CK(cudaStreamEndCapture(st, &graph));
      CK(cudaGraphInstantiate(&exec, graph, 0));
      CK(cudaGraphLaunch(exec, st));
      cudaEventRecord(e0, st);
      CK(cudaGraphLaunch(exec, st));
      cudaEventRecord(e1, st);
      CK(cudaEventSynchronize(e1));
      float ms;
      cudaEventElapsedTime(&ms, e0, e1);
      double us = ms * 1000.0 / iters;
      cudaGraphExecDestroy(exec);
      cudaGraphDestroy(graph);
      cudaStreamDestroy(st);
      printf("TIMING attention_%s_%s %s: %d seqs x ctx %d window %d splits %d: %.1f us/layer, %.0f GB/s of KV read\n",
             kernel == 0 ? "mma" : "simt", precise ? "precise" : "fast", what, nSeq, ctx, window, splits, us,
             bytes / (us * 1e3));
    }
  }
  CK(cudaGetLastError());
  cudaFree(pool); cudaFree(dtable); cudaFree(dpos); cudaFree(ditems); cudaFree(dq); cudaFree(dsinks); cudaFree(dout);
  cudaFree(doutLo); cudaFree(dpart);
}

int main() {
  struct Shape { int heads, kvHeads, hd; } shapes[] = {{64, 8, 64}, {8, 1, 32}, {4, 2, 16}};
  const int contexts[] = {1, 17, 128, 129, 1000, 2048, 3001};
  unsigned seed = 1;
  for (auto sh : shapes) {
    for (int window : {0, 128}) {
      // decode: one batch holding every context, then each context alone (single-stream splits)
      std::vector<SeqSpec> batch;
      for (int c : contexts) batch.push_back({c - 1, 1});
      run_case("decode-batch", sh.heads, sh.kvHeads, sh.hd, batch, window, seed++);
      for (int c : contexts) {
        char label[64];
        snprintf(label, sizeof label, "decode-ctx%d", c);
        run_case(label, sh.heads, sh.kvHeads, sh.hd, {{c - 1, 1}}, window, seed++);
      }
      // prefill: fresh prompts and chunks continuing an existing context, mixed with decode rows
      run_case("prefill-fresh", sh.heads, sh.kvHeads, sh.hd, {{0, 37}, {0, 200}}, window, seed++);
      run_case("prefill-continue", sh.heads, sh.kvHeads, sh.hd, {{300, 45}, {17, 8}, {1000, 129}, {5, 1}}, window, seed++);
      run_case("prefill-single", sh.heads, sh.kvHeads, sh.hd, {{2000, 64}}, window, seed++);
    }
  }
  time_decode(1024, 1536, 0, "batch-1024 decode");
  time_decode(1, 2048, 0, "single-stream full", {0, 8, 16, 33, 64});
  time_decode(1, 2048, 128, "single-stream sliding", {0, 2, 4});
  {  // the floor: two empty launches per layer in the same kind of graph
    cudaStream_t st;
    CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    CK(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < 40; i++) empty_kernel<<<1, 32, 0, st>>>();
    CK(cudaStreamEndCapture(st, &graph));
    CK(cudaGraphInstantiate(&exec, graph, 0));
    CK(cudaGraphLaunch(exec, st));
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    cudaEventRecord(e0, st);
    CK(cudaGraphLaunch(exec, st));
    cudaEventRecord(e1, st);
    CK(cudaEventSynchronize(e1));
    float ms;
    cudaEventElapsedTime(&ms, e0, e1);
    printf("TIMING floor: two empty kernels in a graph: %.1f us/layer\n", ms * 1000.0 / 20);
  }
  printf("KERNELCHECK attention %s (%d failing cases)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
