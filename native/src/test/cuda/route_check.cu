// Checks moe_route_small against the four-launch routing (memset, moe_topk, moe_group, moe_scatter), both
// also for an expert-parallel rank's held experts (heldCase),
// and residual_rmsnorm with the experts folded in (moeY) against moe_combine + residual_rmsnorm:
// both bit for bit; also both against a plain host reference (float64 norm, float top-k).
// Timings: the routing and the combine+norm pair, as CUDA graphs (the way decode steps run).
//   nvcc -std=c++17 -arch=sm_90a -O3 -o /tmp/route_check native/src/test/cuda/route_check.cu && /tmp/route_check
#include <cuda_runtime.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../main/cuda/moe_route.cu"
#include "../../main/cuda/moe_combine.cu"
#include "../../main/cuda/rmsnorm.cu"
#include "check_util.cuh"


static int failures = 0;
static unsigned long long rng = 0x9e3779b97f4a7c15ull;
static float urand() {  // [0, 1)
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (rng >> 40) * (1.0f / 16777216.0f);
}

template <class T> static T* dalloc(size_t n) { T* p; CK(cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T))); CK(cudaMemset(p, 0, std::max<size_t>(n, 1) * sizeof(T))); return p; }
template <class T> static void up(T* d, const std::vector<T>& h) { CK(cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice)); }
template <class T> static std::vector<T> down(const T* d, size_t n) { std::vector<T> h(n); CK(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost)); return h; }

static int maxTiles(int T, int k, int E, int tileM) { int rows = T * k; return (rows + tileM - 1) / tileM + std::min(E, rows); }

struct Route {  // device buffers of one routing
  int *ids, *counts, *cursor, *tiles, *numTiles, *assign;
  float* w;
};
static Route routeAlloc(int T, int k, int E, int mt) {
  Route r;
  r.ids = dalloc<int>(T * k); r.w = dalloc<float>(T * k); r.counts = dalloc<int>(E); r.cursor = dalloc<int>(E);
  r.tiles = dalloc<int>(mt * 3); r.numTiles = dalloc<int>(1); r.assign = dalloc<int>(T * k);
  return r;
}
static void routeFree(Route& r) { cudaFree(r.ids); cudaFree(r.w); cudaFree(r.counts); cudaFree(r.cursor); cudaFree(r.tiles); cudaFree(r.numTiles); cudaFree(r.assign); }

// first, held: the experts whose weights the device holds (an expert-parallel rank's; held < 0: all E).
static void launchFour(const float* lg, const float* bias, Route& r, int T, int E, int k, int tileM, int mt, cudaStream_t s,
                       int first = 0, int held = -1) {
  CK(cudaMemsetAsync(r.counts, 0, 4 * E, s));
  MoeRouteArgs ra{lg, bias, r.ids, r.w, r.counts, T, E, k};
  moe_topk<<<(T + 127) / 128, 128, 0, s>>>(ra);
  MoeGroupArgs ga{r.counts, r.cursor, r.tiles, r.numTiles, E, tileM, mt, first, held < 0 ? E : held};
  moe_group<<<1, 256, 0, s>>>(ga);
  MoeScatterArgs sa{r.ids, r.cursor, r.assign, T * k};
  moe_scatter<<<(T * k + 255) / 256, 256, 0, s>>>(sa);
}
static void launchSmall(const float* lg, const float* bias, Route& r, int T, int E, int k, int tileM, int mt, cudaStream_t s,
                        int first = 0, int held = -1) {
  MoeRouteSmallArgs a{lg, bias, r.ids, r.w, r.tiles, r.numTiles, r.assign, T, E, k, tileM, mt, first, held < 0 ? E : held};
  moe_route_small<<<1, 256, 0, s>>>(a);
}

// Per expert, the sorted list of t*k+j in its row range; checks the rows are grouped by expert and
// assign is a permutation. Returns false on a malformed routing.
static bool expertRowSets(const std::vector<int>& ids, const std::vector<int>& assign, int E, std::vector<std::vector<int>>& sets) {
  int n = (int)ids.size();
  sets.assign(E, {});
  std::vector<char> seen(n, 0);
  int prev = -1;
  for (int r = 0; r < n; r++) {
    int a = assign[r];
    if (a < 0 || a >= n || seen[a]) return false;
    seen[a] = 1;
    int e = ids[a];
    if (e < prev || e < 0 || e >= E) return false;
    prev = e;
    sets[e].push_back(a);
  }
  for (auto& s : sets) std::sort(s.begin(), s.end());
  return true;
}

static void routeCase(int T, int E, int k, int tileM, bool ties) {
  int mt = maxTiles(T, k, E, tileM);
  std::vector<float> lg(T * E), bias(E);
  for (auto& v : lg) v = ties ? (float)(int)(urand() * 4) * 0.5f : (urand() * 2 - 1) * 4;
  for (auto& v : bias) v = ties ? 0.f : (urand() * 2 - 1) * 0.5f;
  float *dlg = dalloc<float>(T * E), *dbias = dalloc<float>(E);
  up(dlg, lg); up(dbias, bias);
  Route a = routeAlloc(T, k, E, mt), b = routeAlloc(T, k, E, mt);
  launchFour(dlg, dbias, a, T, E, k, tileM, mt, 0);
  launchSmall(dlg, dbias, b, T, E, k, tileM, mt, 0);
  CK(cudaDeviceSynchronize());
  auto idsA = down(a.ids, T * k), idsB = down(b.ids, T * k);
  auto wA = down(a.w, T * k), wB = down(b.w, T * k);
  auto asA = down(a.assign, T * k), asB = down(b.assign, T * k);
  int ntA = down(a.numTiles, 1)[0], ntB = down(b.numTiles, 1)[0];
  auto tA = down(a.tiles, mt * 3), tB = down(b.tiles, mt * 3);
  bool idsEq = idsA == idsB;
  bool wEq = memcmp(wA.data(), wB.data(), 4 * T * k) == 0;
  std::vector<std::vector<int>> sA, sB;
  bool okA = expertRowSets(idsA, asA, E, sA), okB = expertRowSets(idsB, asB, E, sB);
  bool setsEq = okA && okB && sA == sB;
  bool tilesEq = ntA == ntB && std::equal(tA.begin(), tA.begin() + 3 * std::min(ntA, mt), tB.begin());
  // Host reference: float top-k (ties to the lower expert), softmax in double.
  int idsRef = 0;
  double wErr = 0;
  for (int t = 0; t < T; t++) {
    std::vector<int> idx;
    std::vector<float> val;
    for (int j = 0; j < k; j++) {
      int best = -1; float bv = 0;
      for (int e = 0; e < E; e++) {
        if (std::find(idx.begin(), idx.end(), e) != idx.end()) continue;
        float v = lg[t * E + e] + bias[e];
        if (best < 0 || v > bv) { best = e; bv = v; }
      }
      idx.push_back(best); val.push_back(bv);
    }
    double sum = 0;
    for (int j = 0; j < k; j++) sum += exp((double)val[j] - val[0]);
    for (int j = 0; j < k; j++) {
      idsRef += idsB[t * k + j] != idx[j];
      wErr = std::max(wErr, fabs(wB[t * k + j] - exp((double)val[j] - val[0]) / sum));
    }
  }
  bool pass = idsEq && wEq && setsEq && tilesEq && idsRef == 0 && wErr < 1e-6;
  failures += !pass;
  printf("KERNELCHECK route_small:T=%d,E=%d,k=%d,tileM=%d%s %s ids=%s weights=%s rowsets=%s tiles=%s(%d/%d) "
         "vs_host: id_mismatch=%d max_abs_w=%.2e\n",
         T, E, k, tileM, ties ? ",ties" : "", pass ? "PASS" : "FAIL", idsEq ? "eq" : "DIFF", wEq ? "bitEq" : "DIFF",
         setsEq ? "eq" : "DIFF", tilesEq ? "eq" : "DIFF", ntA, ntB, idsRef, wErr);
  routeFree(a); routeFree(b); cudaFree(dlg); cudaFree(dbias);
}

// An expert-parallel rank's routing (experts [first, first + held)): both launch paths give the whole routing's ids,
// weights and sorted rows, and exactly its tiles of the held experts, in order, named e - first.
static void heldCase(int T, int E, int k, int tileM, int first, int held) {
  int mt = maxTiles(T, k, E, tileM);
  std::vector<float> lg(T * E), bias(E);
  for (auto& v : lg) v = (urand() * 2 - 1) * 4;
  for (auto& v : bias) v = (urand() * 2 - 1) * 0.5f;
  float *dlg = dalloc<float>(T * E), *dbias = dalloc<float>(E);
  up(dlg, lg); up(dbias, bias);
  Route all = routeAlloc(T, k, E, mt), four = routeAlloc(T, k, E, mt), small = routeAlloc(T, k, E, mt);
  launchFour(dlg, dbias, all, T, E, k, tileM, mt, 0);
  launchFour(dlg, dbias, four, T, E, k, tileM, mt, 0, first, held);
  launchSmall(dlg, dbias, small, T, E, k, tileM, mt, 0, first, held);
  CK(cudaDeviceSynchronize());
  int ntAll = down(all.numTiles, 1)[0];
  auto tAll = down(all.tiles, mt * 3);
  std::vector<int> want;
  for (int i = 0; i < std::min(ntAll, mt); i++) {
    int e = tAll[i * 3];
    if (e >= first && e < first + held) want.insert(want.end(), {e - first, tAll[i * 3 + 1], tAll[i * 3 + 2]});
  }
  auto idsAll = down(all.ids, T * k);
  std::vector<std::vector<int>> setsAll;
  expertRowSets(idsAll, down(all.assign, T * k), E, setsAll);
  bool pass = true;
  for (Route* r : {&four, &small}) {
    int nt = down(r->numTiles, 1)[0];
    auto t = down(r->tiles, mt * 3);
    std::vector<std::vector<int>> sets;
    bool rows = expertRowSets(down(r->ids, T * k), down(r->assign, T * k), E, sets) && sets == setsAll;
    bool tiles = nt * 3 == (int)want.size() && std::equal(want.begin(), want.end(), t.begin());
    pass &= rows && tiles && down(r->ids, T * k) == idsAll;
  }
  failures += !pass;
  printf("KERNELCHECK route_held:T=%d,E=%d,k=%d,tileM=%d,experts=[%d,%d) %s tiles=%d of %d\n", T, E, k, tileM, first,
         first + held, pass ? "PASS" : "FAIL", (int)want.size() / 3, ntAll);
  routeFree(all); routeFree(four); routeFree(small); cudaFree(dlg); cudaFree(dbias);
}

static float* randomDev(size_t n, float scale, std::vector<float>* keep = nullptr) {
  std::vector<float> h(n);
  for (auto& v : h) v = (urand() * 2 - 1) * scale;
  float* d = dalloc<float>(n);
  up(d, h);
  if (keep) *keep = h;
  return d;
}

static double bfToD(bf16 v) { unsigned u = ((unsigned)v) << 16; float f; memcpy(&f, &u, 4); return f; }

// mode 0: input norm (all rows, x updated); 1: final norm over a row list (duplicates included);
// 2: the attention path (delta + bias, no experts), unchanged by this work, against the host only.
static void normCase(int T, int H, int k, int mode) {
  std::vector<float> xh, yh, wh, gh, dh, bh;
  float* x0 = randomDev((size_t)T * H, 2.f, &xh);
  float* y = randomDev((size_t)T * k * H, 1.f, &yh);
  float* w = randomDev((size_t)T * k, 0.5f, &wh);
  float* g = randomDev(H, 1.5f, &gh);
  float* delta = randomDev((size_t)T * H, 1.f, &dh);
  float* bias = randomDev(H, 0.2f, &bh);
  std::vector<int> rows;
  if (mode == 1) { rows = {T - 1, 0, T / 2, T - 1}; } else for (int t = 0; t < T; t++) rows.push_back(t);
  int R = (int)rows.size();
  int* drows = dalloc<int>(R);
  up(drows, rows);
  float *xA = dalloc<float>((size_t)T * H), *xB = dalloc<float>((size_t)T * H);
  CK(cudaMemcpy(xA, x0, 4ull * T * H, cudaMemcpyDeviceToDevice));
  CK(cudaMemcpy(xB, x0, 4ull * T * H, cudaMemcpyDeviceToDevice));
  bf16 *oA = dalloc<bf16>((size_t)R * H), *oB = dalloc<bf16>((size_t)R * H), *lA = dalloc<bf16>((size_t)R * H), *lB = dalloc<bf16>((size_t)R * H);
  const int* rp = mode == 1 ? drows : nullptr;
  const float* dp = mode == 2 ? delta : nullptr;
  const float* bp = mode == 2 ? bias : nullptr;
  float eps = 1e-5f;
  if (mode != 2) {
    MoeCombineArgs ca{xA, y, w, T, H, k};
    moe_combine<<<T, 256>>>(ca);
  }
  RmsNormArgs na{xA, dp, bp, g, rp, oA, lA, nullptr, nullptr, R, H, eps, 0};
  residual_rmsnorm<<<R, 256>>>(na);
  RmsNormArgs nb{xB, dp, bp, g, rp, oB, lB, mode != 2 ? y : nullptr, mode != 2 ? w : nullptr, R, H, eps, k};
  residual_rmsnorm<<<R, 256>>>(nb);
  CK(cudaDeviceSynchronize());
  auto hoA = down(oA, (size_t)R * H), hoB = down(oB, (size_t)R * H), hlA = down(lA, (size_t)R * H), hlB = down(lB, (size_t)R * H);
  auto hxA = down(xA, (size_t)T * H), hxB = down(xB, (size_t)T * H);
  bool outEq = hoA == hoB && hlA == hlB;
  // x: updated in place for all rows, except the final norm (mode 1) with experts, which leaves it.
  bool xOk = mode == 1 ? memcmp(hxB.data(), xh.data(), 4ull * T * H) == 0 : memcmp(hxA.data(), hxB.data(), 4ull * T * H) == 0;
  // Host reference in double: x + sum_j w y (+ delta + bias), normalised, vs out + outLo.
  double maxAbs = 0, num = 0, den = 0;
  for (int r = 0; r < R; r++) {
    int t = rows[r];
    std::vector<double> v(H);
    double ss = 0;
    for (int i = 0; i < H; i++) {
      double s = xh[(size_t)t * H + i];
      if (mode != 2) for (int j = 0; j < k; j++) s += (double)wh[t * k + j] * yh[((size_t)t * k + j) * H + i];
      else s += (double)dh[(size_t)t * H + i] + bh[i];
      v[i] = s; ss += s * s;
    }
    double inv = 1 / sqrt(ss / H + eps);
    for (int i = 0; i < H; i++) {
      double ref = gh[i] * v[i] * inv, got = bfToD(hoB[(size_t)r * H + i]) + bfToD(hlB[(size_t)r * H + i]);
      maxAbs = std::max(maxAbs, fabs(got - ref)); num += (got - ref) * (got - ref); den += ref * ref;
    }
  }
  double rel = sqrt(num / std::max(den, 1e-30));
  bool pass = outEq && xOk && rel < 1e-4;
  failures += !pass;
  const char* name = mode == 0 ? "input" : mode == 1 ? "final_rows" : "attn_delta";
  printf("KERNELCHECK fused_norm:%s,T=%d,H=%d,k=%d %s out+lo=%s x=%s vs_host(f64): max_abs=%.2e rel_l2=%.2e\n", name, T, H, k,
         pass ? "PASS" : "FAIL", outEq ? "bitEq" : "DIFF", xOk ? "ok" : "DIFF", maxAbs, rel);
  cudaFree(x0); cudaFree(y); cudaFree(w); cudaFree(g); cudaFree(delta); cudaFree(bias); cudaFree(drows);
  cudaFree(xA); cudaFree(xB); cudaFree(oA); cudaFree(oB); cudaFree(lA); cudaFree(lB);
}

// Time per repetition of `body`, captured REPS times into one graph and replayed.
template <class F> static float graphUs(F body, cudaStream_t s) {
  const int REPS = 200, REPLAYS = 20;
  cudaGraph_t g;
  cudaGraphExec_t ge;
  CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  for (int i = 0; i < REPS; i++) body();
  CK(cudaStreamEndCapture(s, &g));
  CK(cudaGraphInstantiate(&ge, g, 0));
  CK(cudaGraphLaunch(ge, s));
  CK(cudaStreamSynchronize(s));
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b));
  CK(cudaEventRecord(a, s));
  for (int i = 0; i < REPLAYS; i++) CK(cudaGraphLaunch(ge, s));
  CK(cudaEventRecord(b, s));
  CK(cudaEventSynchronize(b));
  float ms;
  CK(cudaEventElapsedTime(&ms, a, b));
  cudaGraphExecDestroy(ge); cudaGraphDestroy(g); cudaEventDestroy(a); cudaEventDestroy(b);
  return ms * 1000 / (REPS * REPLAYS);
}

static void timings() {
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const int E = 32, k = 4, H = 2880;
  for (int T : {1, 8, 32, 64}) {
    int tileM = T * k <= 128 ? 8 : 128, mt = maxTiles(T, k, E, tileM);
    float* lg = randomDev((size_t)T * E, 4.f);
    float* bias = randomDev(E, 0.5f);
    Route r = routeAlloc(T, k, E, mt);
    float four = graphUs([&] { launchFour(lg, bias, r, T, E, k, tileM, mt, s); }, s);
    float small = graphUs([&] { launchSmall(lg, bias, r, T, E, k, tileM, mt, s); }, s);
    printf("TIMING route T=%d E=%d k=%d: four launches %.2f us, moe_route_small %.2f us (graph replay, per layer)\n", T, E, k, four, small);
    routeFree(r); cudaFree(lg); cudaFree(bias);
  }
  for (int T : {1, 64}) {
    float* x = randomDev((size_t)T * H, 2.f);
    float* y = randomDev((size_t)T * k * H, 1.f);
    float* w = randomDev((size_t)T * k, 0.5f);
    float* g = randomDev(H, 1.5f);
    bf16 *o = dalloc<bf16>((size_t)T * H), *lo = dalloc<bf16>((size_t)T * H);
    MoeCombineArgs ca{x, y, w, T, H, k};
    RmsNormArgs plain{x, nullptr, nullptr, g, nullptr, o, lo, nullptr, nullptr, T, H, 1e-5f, 0};
    RmsNormArgs fused{x, nullptr, nullptr, g, nullptr, o, lo, y, w, T, H, 1e-5f, k};
    float two = graphUs([&] { moe_combine<<<T, 256, 0, s>>>(ca); residual_rmsnorm<<<T, 256, 0, s>>>(plain); }, s);
    float one = graphUs([&] { residual_rmsnorm<<<T, 256, 0, s>>>(fused); }, s);
    double bytes = (double)T * H * (4.0 * k + 4 + 4 + 2 * 2);  // y, x read, x written, out + lo
    printf("TIMING combine+norm T=%d H=%d k=%d: moe_combine + residual_rmsnorm %.2f us, fused %.2f us (%.1f GB/s)\n", T, H, k, two, one,
           bytes / (one * 1e3));
    cudaFree(x); cudaFree(y); cudaFree(w); cudaFree(g); cudaFree(o); cudaFree(lo);
  }
  cudaStreamDestroy(s);
}

int main() {
  struct { int E, k; std::vector<int> Ts; } shapes[] = {{32, 4, {1, 2, 7, 32, 64}}, {8, 4, {1, 7, 64}}, {16, 2, {1, 7, 128}}};
  for (auto& sh : shapes)
    for (int T : sh.Ts)
      for (int tileM : {8, 128}) {
        routeCase(T, sh.E, sh.k, tileM, false);
        if (tileM == 8) routeCase(T, sh.E, sh.k, tileM, true);
      }
  routeCase(64, 256, 4, 8, false);  // the most experts the shared counts hold
  routeCase(32, 128, 8, 8, false);  // MAX_TOPK choices
  for (int T : {1, 7, 64})
    for (int tileM : {8, 128}) {
      heldCase(T, 8, 4, tileM, 4, 4);    // tiny-a's last of 2 ranks
      heldCase(T, 32, 4, tileM, 8, 8);   // gpt-oss-20b's second of 4 ranks
      heldCase(T, 128, 4, tileM, 0, 64); // 120b's first of 2 ranks
    }
  for (int H : {64, 128, 2880})
    for (int T : {1, 7, 64})
      for (int mode = 0; mode < 3; mode++) normCase(T, H, H == 128 ? 2 : 4, mode);
  timings();
  printf("KERNELCHECK route_check %s (%d failures)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
