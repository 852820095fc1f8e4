// Standalone check of the K-split tensor-core gemv for steps of 1-8 rows per tile (moe_gemv_split.cu)
// against a naive float32 reference and the kernels it would replace (moe_gemv_tc.cu, moe_gemv.cu),
// then old-vs-new timings at gpt-oss-20b shapes (32 experts, hidden = intermediate = 2,880, top-4).
// Build and run on the GPU machine (project root):
//   nvcc -std=c++17 -gencode=arch=compute_90a,code=sm_90a -O3 -o /tmp/moe_split_check native/src/test/cuda/moe_split_check.cu && /tmp/moe_split_check
// Prints "KERNELCHECK <name> PASS|FAIL" per case (the production shape) and per other shape of the
// template (all cases together), "TIMING" lines (L2 evicted by reading 256 MB before every timed call,
// median of 30), and exits 1 on any failure. MOE_SPLIT_CHECK=timing: the timings only (e.g. under Nsight
// Compute: ncu -k regex:split -c 8 /tmp/moe_split_check).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include <cuda_runtime.h>

#include "../../main/cuda/moe_route.cu"
#include "../../main/cuda/moe_gemv.cu"
#include "../../main/cuda/moe_gemv_tc.cu"
#include "../../main/cuda/moe_gemv_split.cu"
#include "check_util.cuh"
#include "mxfp4_check_util.cuh"

// Other shapes of the template: warps per block (K split) x commit groups per warp (x an L2 prefetch hint).
#define SPLIT_VARIANT(W, CH) \
  extern "C" __global__ void __launch_bounds__(32 * W) split_w##W##c##CH(MoeGemmArgs a) { moe_gemv_split<W, CH>(a); }
#define SPLIT_VARIANT_PF(W, CH, PF) \
  extern "C" __global__ void __launch_bounds__(32 * W) split_w##W##c##CH##pf##PF(MoeGemmArgs a) { moe_gemv_split<W, CH, PF>(a); }
SPLIT_VARIANT(2, 1)
SPLIT_VARIANT(2, 2)
SPLIT_VARIANT(4, 1)
SPLIT_VARIANT(4, 3)
SPLIT_VARIANT(6, 2)
SPLIT_VARIANT(8, 1)
SPLIT_VARIANT(8, 2)
SPLIT_VARIANT_PF(4, 2, 128)
SPLIT_VARIANT_PF(4, 2, 256)
SPLIT_VARIANT_PF(8, 2, 256)
// the weights by bulk copies (TMA) on mbarriers instead of cp.async (the scales stay on cp.async)
#define SPLIT_VARIANT_BULK(W, CH) \
  extern "C" __global__ void __launch_bounds__(32 * W) split_w##W##c##CH##bulk(MoeGemmArgs a) { moe_gemv_split<W, CH, 0, true>(a); }
SPLIT_VARIANT_BULK(4, 2)
SPLIT_VARIANT_BULK(8, 2)

struct Split {
  const char* name;
  void (*fn)(MoeGemmArgs);
  int warps;
};
static const Split SPLITS[] = {{"gemv_split", bf16_mxfp4w_moe_gemv_split, GS_WARPS},
                               {"split_w2c1", split_w2c1, 2}, {"split_w2c2", split_w2c2, 2}, {"split_w4c1", split_w4c1, 4},
                               {"split_w4c3", split_w4c3, 4}, {"split_w6c2", split_w6c2, 6}, {"split_w8c1", split_w8c1, 8},
                               {"split_w8c2", split_w8c2, 8}, {"split_w4c2pf128", split_w4c2pf128, 4},
                               {"split_w4c2pf256", split_w4c2pf256, 4}, {"split_w8c2pf256", split_w8c2pf256, 8},
                               {"split_w4c2bulk", split_w4c2bulk, 4}, {"split_w8c2bulk", split_w8c2bulk, 8}};
static const int NSPLITS = sizeof(SPLITS) / sizeof(SPLITS[0]);
static double worstRatio[NSPLITS];  // worst rel_l2 / tolerance over the cases
static int variantFailures[NSPLITS];
static int failures = 0;

// ---- e2m1x8: every pair of nibbles (value i, value i + 4) in every position, bit for bit ----
static __host__ __device__ unsigned pair_word(int pair, int i) {  // nibbles i, i + 4 from pair; others pseudo-random
  unsigned w = 0;
  for (int j = 0; j < 8; j++) {
    unsigned nib = j == i ? (pair & 15) : j == i + 4 ? (pair >> 4) : ((pair * 7 + j * 5 + 3) & 15);
    w |= nib << (4 * j);
  }
  return w;
}

__global__ void unpack_pairs(unsigned* out) {  // out[(i * 256 + pair) * 4 + q]
  const int pair = threadIdx.x, i = blockIdx.x;
  unsigned o[4];
  e2m1x8(pair_word(pair, i), o);
  for (int q = 0; q < 4; q++) out[(i * 256 + pair) * 4 + q] = o[q];
}


static void check_unpack() {
  unsigned* d;
  CK(cudaMalloc(&d, 4 * 256 * 4 * 4));
  unpack_pairs<<<4, 256>>>(d);
  CK(cudaGetLastError());
  std::vector<unsigned> h(4 * 256 * 4);
  CK(cudaMemcpy(h.data(), d, h.size() * 4, cudaMemcpyDeviceToHost));
  CK(cudaFree(d));
  int bad = 0;
  for (int i = 0; i < 4; i++)
    for (int pair = 0; pair < 256; pair++) {
      unsigned w = pair_word(pair, i);
      for (int q = 0; q < 4; q++) {
        unsigned v = h[(i * 256 + pair) * 4 + q];
        float lo = host_bf2f(v & 0xffff), hi = host_bf2f(v >> 16);
        float elo = e2m1((w >> (4 * q)) & 15), ehi = e2m1((w >> (4 * (q + 4))) & 15);
        if (memcmp(&lo, &elo, 4) != 0 || memcmp(&hi, &ehi, 4) != 0) {  // -0 included
          if (bad < 5) printf("  e2m1x8 word=0x%08x out %d got %g %g want %g %g\n", w, q, lo, hi, elo, ehi);
          bad++;
        }
      }
    }
  printf("KERNELCHECK e2m1x8_unpack %s all 256 nibble pairs x 4 positions, %d mismatches\n", bad ? "FAIL" : "PASS", bad);
  failures += bad != 0;
}





// T tokens, topK distinct experts each (all on expert `crowd` first when crowd >= 0, to make tiles of
// more than 8 rows); rows sorted by expert, assign[row] = t * topK + j; tiles of 8 by moe_group.
struct Step {
  int T, topK, E, R, maxTiles, rowsCap;
  std::vector<int> counts, assign, rowExpert;
  int *dAssign, *dCounts, *dCursor, *dTiles, *dNumTiles;
};

static Step make_step(int T, int topK, int E, int crowd, std::mt19937& rng) {
  Step s{T, topK, E, T * topK};
  std::vector<std::vector<int>> byExpert(E);
  std::vector<int> ids(E);
  for (int t = 0; t < T; t++) {
    for (int e = 0; e < E; e++) ids[e] = e;
    std::shuffle(ids.begin(), ids.end(), rng);
    if (crowd >= 0) std::swap(ids[0], *std::find(ids.begin(), ids.end(), crowd));
    for (int j = 0; j < topK; j++) byExpert[ids[j]].push_back(t * topK + j);
  }
  s.counts.resize(E);
  int most = 0;
  for (int e = 0; e < E; e++) {
    s.counts[e] = (int)byExpert[e].size();
    most = std::max(most, s.counts[e]);
    for (int a : byExpert[e]) s.assign.push_back(a), s.rowExpert.push_back(e);
  }
  s.rowsCap = std::min(most, GS_ROWS);
  s.maxTiles = (s.R + GS_ROWS - 1) / GS_ROWS + std::min(E, s.R);
  CK(cudaMalloc(&s.dAssign, s.R * 4));
  CK(cudaMalloc(&s.dCounts, E * 4));
  CK(cudaMalloc(&s.dCursor, E * 4));
  CK(cudaMalloc(&s.dTiles, s.maxTiles * 12));
  CK(cudaMalloc(&s.dNumTiles, 4));
  CK(cudaMemcpy(s.dAssign, s.assign.data(), s.R * 4, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(s.dCounts, s.counts.data(), E * 4, cudaMemcpyHostToDevice));
  moe_group<<<1, 256>>>(MoeGroupArgs{s.dCounts, s.dCursor, s.dTiles, s.dNumTiles, E, GS_ROWS, s.maxTiles, 0, E});
  CK(cudaGetLastError());
  return s;
}

static void free_step(Step& s) {
  cudaFree(s.dAssign);
  cudaFree(s.dCounts);
  cudaFree(s.dCursor);
  cudaFree(s.dTiles);
  cudaFree(s.dNumTiles);
}

// One product's inputs: A rows as bf16 hi and lo (mode 0: [T, K] tokens; mode 1: [R, K] sorted rows).
struct Case {
  int mode, K, N;
  bf16 *aHi, *aLo, *outLo;
  void* out;
  std::vector<float> aF, aHiF;
};

static Case make_case(int mode, const Step& s, int K, int N, std::mt19937& rng) {
  Case c{mode, K, N};
  size_t n = (size_t)(mode == 0 ? s.T : s.R) * K;
  std::vector<bf16> hi(n), lo(n);
  c.aF.resize(n);
  c.aHiF.resize(n);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (size_t i = 0; i < n; i++) {
    float v = nd(rng);
    hi[i] = host_f2bf(v);
    lo[i] = host_f2bf(v - host_bf2f(hi[i]));
    c.aHiF[i] = host_bf2f(hi[i]);
    c.aF[i] = c.aHiF[i] + host_bf2f(lo[i]);
  }
  CK(cudaMalloc(&c.aHi, n * 2));
  CK(cudaMalloc(&c.aLo, n * 2));
  CK(cudaMemcpy(c.aHi, hi.data(), n * 2, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(c.aLo, lo.data(), n * 2, cudaMemcpyHostToDevice));
  size_t outBytes = mode == 0 ? (size_t)s.R * (N / 2) * 2 : (size_t)s.R * N * 4;
  CK(cudaMalloc(&c.out, outBytes));
  CK(cudaMalloc(&c.outLo, outBytes));
  return c;
}

static void free_case(Case& c) {
  cudaFree(c.aHi);
  cudaFree(c.aLo);
  cudaFree(c.out);
  cudaFree(c.outLo);
}

static MoeGemmArgs args_for(const Case& c, const Experts& x, const Step& s, bool precise) {
  return MoeGemmArgs{c.aHi, precise ? c.aLo : nullptr, s.dAssign, s.dTiles, s.dNumTiles, x.blocks, x.scalesT, x.bias,
                     c.out, c.mode == 0 && precise ? c.outLo : nullptr, s.topK, c.K, c.N, c.mode, 7.f};
}

// Reference outputs in kernel layout: mode 0 act[R, N/2] (sorted rows); mode 1 y[R, N] at assign[r].
static std::vector<double> reference(const Case& c, const Step& s, const Experts& x, bool precise) {
  std::vector<float> A((size_t)s.R * c.K);
  for (int r = 0; r < s.R; r++) {
    int src = c.mode == 0 ? s.assign[r] / s.topK : r;
    memcpy(&A[(size_t)r * c.K], &(precise ? c.aF : c.aHiF)[(size_t)src * c.K], c.K * 4);
  }
  float *dA, *dU;
  int* dE;
  long long total = (long long)s.R * c.N;
  CK(cudaMalloc(&dA, A.size() * 4));
  CK(cudaMalloc(&dU, total * 4));
  CK(cudaMalloc(&dE, s.R * 4));
  CK(cudaMemcpy(dA, A.data(), A.size() * 4, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(dE, s.rowExpert.data(), s.R * 4, cudaMemcpyHostToDevice));
  ref_moe<<<(unsigned)((total + 255) / 256), 256>>>(dA, dE, s.R, x.blocks, x.scalesT, x.bias, c.K, c.N, dU);
  CK(cudaGetLastError());
  std::vector<float> u(total);
  CK(cudaMemcpy(u.data(), dU, total * 4, cudaMemcpyDeviceToHost));
  cudaFree(dA);
  cudaFree(dU);
  cudaFree(dE);
  std::vector<double> out;
  if (c.mode == 0) {
    out.resize((size_t)s.R * (c.N / 2));
    for (int r = 0; r < s.R; r++)
      for (int i = 0; i < c.N / 2; i++) {
        double gate = std::min((double)u[(size_t)r * c.N + 2 * i], 7.0);
        double up = std::max(std::min((double)u[(size_t)r * c.N + 2 * i + 1], 7.0), -7.0);
        out[(size_t)r * (c.N / 2) + i] = gate / (1.0 + exp(-1.702 * gate)) * (up + 1.0);
      }
  } else {
    out.resize(total);
    for (int r = 0; r < s.R; r++)
      for (int n = 0; n < c.N; n++) out[(size_t)s.assign[r] * c.N + n] = u[(size_t)r * c.N + n];
  }
  return out;
}

// Old kernels: "tc" = moe_gemv_tc.cu, "gemv" = moe_gemv.cu (the variant for the tile's rows); new: SPLITS[v].
static int split_smem(int v, int K, int rows, bool precise) { return MOE_GEMV_SPLIT_SMEM_T(K, rows, precise, SPLITS[v].warps); }

static void launch_split(int v, const MoeGemmArgs& a, const Step& s) {
  SPLITS[v].fn<<<dim3(s.maxTiles, a.N / GS_FEAT), 32 * SPLITS[v].warps, split_smem(v, a.K, s.rowsCap, a.aLo != nullptr)>>>(a);
}

static void launch_old(bool tc, const MoeGemmArgs& a, const Step& s) {
  if (tc) {
    bf16_mxfp4w_moe_gemv_tc<<<dim3(s.maxTiles, (a.N + TC_FB - 1) / TC_FB), 256, MOE_GEMV_TC_SMEM(a.K, s.rowsCap, a.aLo != nullptr)>>>(a);
    return;
  }
  int rows = s.rowsCap <= 1 ? 1 : s.rowsCap <= 2 ? 2 : s.rowsCap <= 4 ? 4 : GV_ROWS;
  dim3 grid(s.maxTiles, (a.N + GV_FB - 1) / GV_FB);
  int smem = MOE_GEMV_SMEM_R(a.K, rows);
  if (rows == 1) bf16_mxfp4w_moe_gemv_r1<<<grid, 256, smem>>>(a);
  else if (rows == 2) bf16_mxfp4w_moe_gemv_r2<<<grid, 256, smem>>>(a);
  else if (rows == 4) bf16_mxfp4w_moe_gemv_r4<<<grid, 256, smem>>>(a);
  else bf16_mxfp4w_moe_gemv<<<grid, 256, smem>>>(a);
}

// Runs one launch on a case and returns rel_l2 against ref (inf if anything is not finite).
template <class Launch>
static double run_rel(const Case& c, const std::vector<double>& ref, bool precise, Launch launch, double* maxAbs) {
  size_t n = ref.size();
  CK(cudaMemset(c.out, 0xff, c.mode == 0 ? n * 2 : n * 4));  // NaN: unwritten outputs fail
  launch();
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());
  std::vector<double> got(n);
  if (c.mode == 0) {
    std::vector<unsigned short> hi(n), lo(n);
    CK(cudaMemcpy(hi.data(), c.out, n * 2, cudaMemcpyDeviceToHost));
    if (precise) CK(cudaMemcpy(lo.data(), c.outLo, n * 2, cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < n; i++) got[i] = (double)host_bf2f(hi[i]) + (precise ? (double)host_bf2f(lo[i]) : 0.0);
  } else {
    std::vector<float> y(n);
    CK(cudaMemcpy(y.data(), c.out, n * 4, cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < n; i++) got[i] = y[i];
  }
  double num = 0, den = 0, mx = 0;
  for (size_t i = 0; i < n; i++) {
    if (!std::isfinite(got[i])) return INFINITY;
    double d = got[i] - ref[i];
    mx = std::max(mx, std::fabs(d));
    num += d * d;
    den += ref[i] * ref[i];
  }
  if (maxAbs) *maxAbs = mx;
  return std::sqrt(num / std::max(den, 1e-30));
}

// fast gate_up rounds act to bf16 (relative 2^-9); otherwise float32 sums in another order (the
// tensor-core kernels in precise mode: mma.sync sums bf16 products at slightly less than float32
// precision, 5e-5 as for moe_check's gemm family).
static double tolerance(int mode, bool precise) { return !precise && mode == 0 ? 4e-3 : precise ? 5e-5 : 2e-5; }

static void check_case(const char* name, const Case& c, const Step& s, const Experts& x, bool precise) {
  std::vector<double> ref = reference(c, s, x, precise);
  MoeGemmArgs a = args_for(c, x, s, precise);
  double tol = tolerance(c.mode, precise);
  double oldRel = run_rel(c, ref, precise, [&] { launch_old(true, a, s); }, nullptr);
  for (int v = 0; v < NSPLITS; v++) {
    double maxAbs = 0, rel = run_rel(c, ref, precise, [&] { launch_split(v, a, s); }, &maxAbs);
    bool pass = rel <= tol;
    worstRatio[v] = std::max(worstRatio[v], rel / tol);
    variantFailures[v] += !pass;
    if (v == 0) {
      printf("KERNELCHECK gemv_split_%s_%s %s rows=%d K=%d N=%d max_abs=%.3g rel_l2=%.3g (gemv_tc %.3g) tol=%.1g\n", name,
             precise ? "precise" : "fast", pass ? "PASS" : "FAIL", s.R, c.K, c.N, maxAbs, rel, oldRel, tol);
      failures += !pass;
    }
  }
}

// ---- timing: L2 evicted by reads before every call, median of reps ----
static void* l2flush = nullptr;
static const size_t L2FLUSH_BYTES = 256u << 20;


template <class Launch>
static float time_us(Launch launch, int reps = 30) {
  cudaEvent_t t0, t1;
  CK(cudaEventCreate(&t0));
  CK(cudaEventCreate(&t1));
  launch();
  std::vector<float> ms;
  for (int i = 0; i < reps; i++) {
    l2_flush_read<<<528, 512>>>((const uint4*)l2flush, L2FLUSH_BYTES / 16, (unsigned*)l2flush);
    CK(cudaEventRecord(t0));
    launch();
    CK(cudaEventRecord(t1));
    CK(cudaEventSynchronize(t1));
    float m;
    CK(cudaEventElapsedTime(&m, t0, t1));
    ms.push_back(m);
  }
  CK(cudaGetLastError());
  cudaEventDestroy(t0);
  cudaEventDestroy(t1);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2] * 1e3f;
}

static double weight_bytes(const Step& s, int K, int N) {
  int used = 0;
  for (int c : s.counts) used += c > 0;
  return (double)used * N * K * 17.0 / 32.0;
}

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::mt19937 rng(4321);
  const int H = 2880, I = 2880, E = 32, topK = 4;
  CK(cudaFuncSetAttribute(bf16_mxfp4w_moe_gemv_tc, cudaFuncAttributeMaxDynamicSharedMemorySize, MOE_GEMV_TC_SMEM(H, TC_ROWS, true)));
  CK(cudaFuncSetAttribute(bf16_mxfp4w_moe_gemv, cudaFuncAttributeMaxDynamicSharedMemorySize, MOE_GEMV_SMEM(H)));
  CK(cudaFuncSetAttribute(bf16_mxfp4w_moe_gemv_r4, cudaFuncAttributeMaxDynamicSharedMemorySize, MOE_GEMV_SMEM_R(H, 4)));
  for (int v = 0; v < NSPLITS; v++) {
    int maxSmem = split_smem(v, H, GS_ROWS, true), blocks = 0;
    CK(cudaFuncSetAttribute(SPLITS[v].fn, cudaFuncAttributeMaxDynamicSharedMemorySize, maxSmem));
    cudaFuncAttributes fa;
    CK(cudaFuncGetAttributes(&fa, SPLITS[v].fn));
    CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, SPLITS[v].fn, 32 * SPLITS[v].warps, split_smem(v, H, 1, false)));
    printf("SPLITSHAPE %s: %d warps, %d registers, %d bytes local, one-token fast %d bytes of shared memory, %d blocks per SM\n",
           SPLITS[v].name, SPLITS[v].warps, fa.numRegs, (int)fa.localSizeBytes, split_smem(v, H, 1, false), blocks);
  }
  CK(cudaMalloc(&l2flush, L2FLUSH_BYTES));
  const bool timingOnly = getenv("MOE_SPLIT_CHECK") && !strcmp(getenv("MOE_SPLIT_CHECK"), "timing");
  if (!timingOnly) check_unpack();

  // ---- correctness: small and odd shapes (K = 96: a warp of four with no block of K; N = 48), then 20b ----
  struct Shape {
    const char* name;
    int E, K, N;  // gate_up K x N; down K = N / 2, N = K
  };
  const Shape shapes[] = {{"tiny", 8, 64, 128}, {"odd", 8, 96, 192}, {"mid", 8, 160, 256}, {"20b", E, H, 2 * I}};
  struct Routing {
    const char* name;
    int T, crowd;
  };
  const Routing routings[] = {{"T1", 1, -1}, {"T2", 2, -1}, {"T3", 3, -1}, {"T4", 4, -1}, {"T8", 8, -1}, {"T40", 40, -1},
                              {"T20crowd", 20, 3}};
  for (const Shape& sh : shapes) {
    if (timingOnly) break;
    Experts gu = make_experts(sh.E, sh.K, sh.N, rng), dn = make_experts(sh.E, sh.N / 2, sh.K, rng);
    for (const Routing& ro : routings) {
      Step s = make_step(ro.T, topK, sh.E, ro.crowd, rng);
      for (int mode = 0; mode < 2; mode++) {
        const Experts& x = mode == 0 ? gu : dn;
        Case c = make_case(mode, s, x.K, x.N, rng);
        char name[64];
        snprintf(name, sizeof name, "%s_%s_%s", sh.name, mode == 0 ? "gateup" : "down", ro.name);
        for (int p = 0; p < 2; p++) check_case(name, c, s, x, p == 1);
        free_case(c);
      }
      free_step(s);
    }
    free_experts(gu);
    free_experts(dn);
  }
  for (int v = 1; v < NSPLITS && !timingOnly; v++) {
    printf("KERNELCHECK %s %s every case above, worst rel_l2 / tol %.3g, %d over\n", SPLITS[v].name,
           variantFailures[v] ? "FAIL" : "PASS", worstRatio[v], variantFailures[v]);
    failures += variantFailures[v] != 0;
  }

  // ---- timings at gpt-oss-20b shapes: old (the production kernels of the step) against new ----
  Experts gu = make_experts(E, H, 2 * I, rng), dn = make_experts(E, I, H, rng);
  for (int T : {1, 2, 4, 8}) {
    Step s = make_step(T, topK, E, -1, rng);
    for (int p = 0; p < (T == 1 ? 2 : 1); p++) {
      bool precise = p == 1;
      float oldTotal = 0, newTotal = 0, best[NSPLITS] = {};
      for (int mode = 0; mode < 2; mode++) {
        const Experts& x = mode == 0 ? gu : dn;
        Case c = make_case(mode, s, x.K, x.N, rng);
        MoeGemmArgs a = args_for(c, x, s, precise);
        // ExpertGemmPlan: one fast token takes gemv_tc for gate_up and the one-row gemv for down; else gemv_tc
        // (precise one token: the gemv for both)
        bool tc = T == 1 ? (!precise && mode == 0) : true;
        float uo = time_us([&] { launch_old(tc, a, s); });
        double gb = weight_bytes(s, x.K, x.N) / 1e3;
        printf("TIMING T=%d %-7s %-7s old %-7s %7.1f us %6.0f GB/s", T, mode == 0 ? "gate_up" : "down",
               precise ? "precise" : "fast", tc ? "gemv_tc" : "gemv", uo, gb / uo);
        oldTotal += uo;
        for (int v = 0; v < NSPLITS; v++) {
          if (v > 0 && T > 1) continue;  // the other shapes at one token only
          float un = time_us([&] { launch_split(v, a, s); });
          best[v] += un;
          if (v == 0) {
            newTotal += un;
            printf("  new gemv_split %7.1f us %6.0f GB/s (%.2fx)", un, gb / un, uo / un);
          }
        }
        printf("\n");
        free_case(c);
      }
      printf("TIMING T=%d both products %s (us per layer): old %.1f new %.1f (%.2fx)", T, precise ? "precise" : "fast",
             oldTotal, newTotal, oldTotal / newTotal);
      if (T == 1)
        for (int v = 1; v < NSPLITS; v++) printf(" %s %.1f", SPLITS[v].name, best[v]);
      printf("\n");
    }
    free_step(s);
  }
  free_experts(gu);
  free_experts(dn);
  printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
