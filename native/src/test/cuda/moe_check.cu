// Standalone check of the MXFP4 expert products (moe_gemm.cu, moe_gemv.cu, moe_gemv_tc.cu, the wgmma
// gemm moe_gemm_wgmma.cu) against a naive float32 reference, plus timings at the production shapes.
// Build and run on the GPU machine (Hopper: the wgmma kernels need the sm_90a target):
//   nvcc -std=c++17 -gencode=arch=compute_90a,code=sm_90a -O3 -o /tmp/moe_check native/src/test/cuda/moe_check.cu && /tmp/moe_check
// MOE_CHECK_KERNELS=gemm,gemm_wgmma (names as printed): check and time only those kernels.
// MOE_CHECK_TIMING=NAME[,NAME]: only the timings of those shapes. Build with -DWG_HANG_CHECK to have
// a stuck wgmma mbarrier wait print itself and trap instead of hanging.
// Prints one "KERNELCHECK <name> PASS|FAIL" line per case and "TIMING" lines; exits 1 on any FAIL.
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <random>
#include <algorithm>
#include <cstring>
#include <string>
#include <cuda_runtime.h>

#include "../../main/cuda/moe_route.cu"
#include "../../main/cuda/moe_gemm.cu"
#include "../../main/cuda/moe_gemv.cu"
#include "../../main/cuda/moe_gemv_tc.cu"
#include "../../main/cuda/moe_gemm_wgmma.cu"
#define SW_HANG_CHECK 1  // a stuck mbarrier wait of the swap-AB kernels prints itself and traps
#include "../../main/cuda/moe_gemm_swap.cu"
#include "check_util.cuh"
#include "mxfp4_check_util.cuh"
// Other shapes of the wgmma template (moe_gemm_wgmma.cu): a 6-deep load ring, 256 features per tile,
// two producer warpgroups. (Two CTAs of 384 threads per SM do not fit: 85 registers per thread, and
// ptxas needs 90 for an m64n128 wgmma.)
#define WG_LS6_SMEM(precise) MOE_WGMMA_SMEM_T(128, 6, precise)
#define WG_N256_SMEM(precise) MOE_WGMMA_SMEM_T(256, 4, precise)
#define WG_P2_SMEM(precise) MOE_WGMMA_SMEM_T(128, 4, precise)
extern "C" __global__ void __launch_bounds__(384, 1) gemm_wgmma_ls6(MoeGemmArgs a) { MOE_WGMMA_BODY(128, 6, 1) }
// gemm_wgmma_n256 is the production kernel bf16_mxfp4w_moe_gemm_wgmma_n256 (fast steps of many rows per expert).
#define gemm_wgmma_n256 bf16_mxfp4w_moe_gemm_wgmma_n256
// gemm_wgmma_n256_sb is the opt-in entry bf16_mxfp4w_moe_gemm_wgmma_n256_sb (GPTOSS_CUDA_MOE_WIDE=sb): the production
// kernel with its epilogue's biases staged in shared memory.
#define gemm_wgmma_n256_sb bf16_mxfp4w_moe_gemm_wgmma_n256_sb
extern "C" __global__ void __launch_bounds__(512, 1) gemm_wgmma_p2(MoeGemmArgs a) { MOE_WGMMA_BODY(128, 4, 2) }
// Variants for the two suspected losses of the fast decode step at batch 1,024 (~128 +- 11 rows per expert),
// fast only (precise would exceed 227 KB of shared memory):
// - n256_ls6: the 256-feature production kernel with a 6-deep load ring (loads 4 steps ahead instead of
//   2: the producer's stalls on global loads).
// - m192 / n256_m192 (128 / 256 features): 192-row tiles (three consumer warpgroups, 512 threads), so that
//   an expert of ~128 + a few rows is one tile rather than a full one and one of a few rows that still
//   costs a whole producer pass. The 256-feature one needs 128 accumulators per consumer thread, above the even share of 128
//   registers at 512 threads: the producer warpgroup gives back to 32 registers and the consumers take 160
//   (setmaxnreg; 128 x 32 + 384 x 160 = 65,536, the pool of 512 threads x 128 registers; main checks it),
//   and each m64n256 runs as two m64n128 (ptxas compiles one instruction within the entry count of 128).
#define WG_N256_LS6_SMEM MOE_WGMMA_SMEM_T(256, 6, false)     // 217,088 bytes
#define WG_M192_SMEM MOE_WGMMA_SMEM_CW(128, 4, 3, false)     // 149,504
#define WG_N256_M192_SMEM MOE_WGMMA_SMEM_CW(256, 4, 3, false)  // 199,680
#define WG_N256_M192_RP 32
#define WG_N256_M192_RC 160
extern "C" __global__ void __launch_bounds__(384, 1) gemm_wgmma_n256_ls6(MoeGemmArgs a) { MOE_WGMMA_BODY(256, 6, 1) }
extern "C" __global__ void __launch_bounds__(512, 1) gemm_wgmma_m192(MoeGemmArgs a) { MOE_WGMMA_BODY_CW(128, 4, 1, 3, 0, 0) }
// gemm_wgmma_n256_m192 is the production entry bf16_mxfp4w_moe_gemm_wgmma_n256_m192 (GPTOSS_CUDA_MOE=wgmma_n256_m192).
#define gemm_wgmma_n256_m192 bf16_mxfp4w_moe_gemm_wgmma_n256_m192
// Loads LS - 2 steps ahead (RD_ of moe_wgmma_tile): the producers refill step t-2's slot before unpacking step t
// instead of waiting mid-step for step t-1's products (the production n256 entry does since 2026-12-07; _rd3 is the
// entry as it was, loading LS - 1 ahead); n256 with 6 slots, m192 with 4.
#define gemm_wgmma_n256_rd3 bf16_mxfp4w_moe_gemm_wgmma_n256_rd3
extern "C" __global__ void __launch_bounds__(384, 1) gemm_wgmma_n256_ls6rd4(MoeGemmArgs a) { MOE_WGMMA_BODY_RD(256, 6, 2, 4) }
extern "C" __global__ void __launch_bounds__(512, 1) gemm_wgmma_m192_rd2(MoeGemmArgs a) { MOE_WGMMA_BODY_RD(128, 4, 3, 2) }
// Other shapes of the swap-AB template (moe_gemm_swap.cu: consumer warpgroups CW, chunk CH, chunks NC,
// ring LS, producer warps PW): chunks of 16 and 64 tokens, one producer warp, a 6-deep ring, three
// consumer warpgroups (192 features, 192-row tiles). (128-row tiles at two blocks per SM do not fit:
// ptxas then has 96 registers per thread, spills and serializes the wgmma.)
struct SwapShape {
  int cw, ch, nc, ls, pw;
  int rmax() const { return ch * nc; }
  int fb() const { return 64 * cw; }
  int threads() const { return MOE_SWAP_THREADS_T(cw, pw); }
  int smem() const { return MOE_SWAP_SMEM_T(rmax(), fb(), ls); }
};
static const SwapShape SWAP_SHAPES[] = {{SW_CW, SW_CH, SW_RMAX / SW_CH, SW_LS, SW_PW},
                                        {2, 16, 12, 4, 2}, {2, 64, 3, 4, 2}, {2, 32, 6, 4, 1}, {2, 32, 6, 6, 2},
                                        {3, 32, 4, 4, 2}};
// Registers: blocks are charged in groups of 4 warps (10 or 9 warps as 12: at most 168 per thread; 14 as 16: 128).
extern "C" __global__ void __maxnreg__(168) gemm_swap_ch16(MoeGemmArgs a) { moe_swap_tile<2, 16, 12, 4, 2>(a); }
extern "C" __global__ void __maxnreg__(168) gemm_swap_ch64(MoeGemmArgs a) { moe_swap_tile<2, 64, 3, 4, 2>(a); }
extern "C" __global__ void __maxnreg__(168) gemm_swap_pw1(MoeGemmArgs a) { moe_swap_tile<2, 32, 6, 4, 1>(a); }
extern "C" __global__ void __maxnreg__(168) gemm_swap_ls6(MoeGemmArgs a) { moe_swap_tile<2, 32, 6, 6, 2>(a); }
// gemm_swap_cw3 is the production kernel bf16_mxfp4w_moe_gemm_swap_cw3 (GPTOSS_CUDA_MOE_SWAP=mid).
#define gemm_swap_cw3 bf16_mxfp4w_moe_gemm_swap_cw3


static int failures = 0;

// ---- exactness of the in-register unpack: every byte x every scale byte in [2, 252] ----
__global__ void unpack_all(unsigned* out) {  // out[s][byte] = bf16x2 from mxfp4_pair
  int s = blockIdx.x, b = threadIdx.x;
  out[s * 256 + b] = mxfp4_pair((unsigned)b << 8, 1, mxfp4_scale2(s));
}

// out[((s * 4 + j) * 256 + b) * 4 + i] = mxfp4_word output i for a word with byte b at position j and
// other bytes (b * 37 + 11 + i) & 0xff elsewhere (so that neighbouring bytes are checked too)
static __device__ __host__ unsigned lut_word(int b, int j) {
  unsigned w = 0;
  for (int i = 0; i < 4; i++) w |= (unsigned)(i == j ? b : ((b * 37 + 11 + i) & 0xff)) << (8 * i);
  return w;
}

__global__ void unpack_all_lut(unsigned* out) {
  int s = blockIdx.x, b = threadIdx.x;
  const Mxfp4Lut t = mxfp4_lut(s);
  for (int j = 0; j < 4; j++) {
    unsigned o[4];
    mxfp4_word(lut_word(b, j), t, o);
    for (int i = 0; i < 4; i++) out[((s * 4 + j) * 256 + b) * 4 + i] = o[i];
  }
}



static void check_unpack() {
  unsigned* d;
  CK(cudaMalloc(&d, 256 * 256 * 4));
  unpack_all<<<256, 256>>>(d);
  CK(cudaGetLastError());
  std::vector<unsigned> h(256 * 256);
  CK(cudaMemcpy(h.data(), d, h.size() * 4, cudaMemcpyDeviceToHost));
  CK(cudaFree(d));
  int bad = 0;
  for (int s = 2; s <= 252; s++)
    for (int b = 0; b < 256; b++) {
      unsigned v = h[s * 256 + b];
      float lo = host_bf2f(v & 0xffff), hi = host_bf2f(v >> 16);
      float elo = ldexpf(e2m1(b & 15), s - 127), ehi = ldexpf(e2m1(b >> 4), s - 127);
      // bit-exact, -0 included
      if (memcmp(&lo, &elo, 4) != 0 || memcmp(&hi, &ehi, 4) != 0) {
        if (bad < 5) printf("  unpack s=%d byte=0x%02x got %g %g want %g %g\n", s, b, lo, hi, elo, ehi);
        bad++;
      }
    }
  printf("KERNELCHECK mxfp4_unpack %s all 256 bytes x scales 2..252, %d mismatches\n", bad ? "FAIL" : "PASS", bad);
  failures += bad != 0;

  // the lookup-table unpack (mxfp4_lut / mxfp4_word), every byte in every position
  CK(cudaMalloc(&d, 256 * 4 * 256 * 4 * 4));
  unpack_all_lut<<<256, 256>>>(d);
  CK(cudaGetLastError());
  std::vector<unsigned> g(256 * 4 * 256 * 4);
  CK(cudaMemcpy(g.data(), d, g.size() * 4, cudaMemcpyDeviceToHost));
  CK(cudaFree(d));
  bad = 0;
  for (int s = 2; s <= 252; s++)
    for (int j = 0; j < 4; j++)
      for (int b = 0; b < 256; b++) {
        unsigned w = lut_word(b, j);
        for (int i = 0; i < 4; i++) {
          unsigned v = g[((s * 4 + j) * 256 + b) * 4 + i], byte = (w >> (8 * i)) & 0xff;
          float lo = host_bf2f(v & 0xffff), hi = host_bf2f(v >> 16);
          float elo = ldexpf(e2m1(byte & 15), s - 127), ehi = ldexpf(e2m1(byte >> 4), s - 127);
          if (memcmp(&lo, &elo, 4) != 0 || memcmp(&hi, &ehi, 4) != 0) {
            if (bad < 5) printf("  lut unpack s=%d word=0x%08x out %d got %g %g want %g %g\n", s, w, i, lo, hi, elo, ehi);
            bad++;
          }
        }
      }
  printf("KERNELCHECK mxfp4_unpack_lut %s all 256 bytes in 4 positions x scales 2..252, %d mismatches\n",
         bad ? "FAIL" : "PASS", bad);
  failures += bad != 0;
}





// A routing: counts per expert, rows sorted by expert, assign = a permutation of 0..R-1 (t*k + j).
struct Routing {
  int R, T, topK;
  std::vector<int> counts, assign, rowExpert;
};

static Routing make_routing(std::vector<int> counts, int topK, std::mt19937& rng) {
  Routing r;
  r.topK = topK;
  int R = 0;
  for (int c : counts) R += c;
  while (R % topK) {  // whole tokens: add rows to the last non-empty expert
    for (int e = (int)counts.size() - 1; e >= 0; e--)
      if (counts[e] > 0) {
        counts[e]++;
        break;
      }
    R++;
  }
  r.R = R;
  r.T = R / topK;
  r.counts = counts;
  r.assign.resize(R);
  for (int i = 0; i < R; i++) r.assign[i] = i;
  std::shuffle(r.assign.begin(), r.assign.end(), rng);
  for (int e = 0; e < (int)counts.size(); e++)
    for (int i = 0; i < counts[e]; i++) r.rowExpert.push_back(e);
  return r;
}

// Top-k routing of T tokens over E experts, uniformly at random (as the decode benchmark's router).
static std::vector<int> random_counts(int T, int E, int topK, std::mt19937& rng) {
  std::vector<int> c(E, 0), ids(E);
  for (int t = 0; t < T; t++) {
    for (int e = 0; e < E; e++) ids[e] = e;
    for (int j = 0; j < topK; j++) {
      int p = j + rng() % (E - j);
      std::swap(ids[j], ids[p]);
      c[ids[j]]++;
    }
  }
  return c;
}

// Decode at batch 1,024 as the tile-tail problem shows it: 16 experts of 128 + (1..20) rows, 16 of
// 128 - (the same tails), so every tile of 128 rows leaves a tail of 1-20.
static std::vector<int> tail_counts(int E, std::mt19937& rng) {
  std::vector<int> c(E, 128);
  for (int e = 0; e < E / 2; e++) {
    int tail = 1 + rng() % 20;
    c[e] += tail;
    c[E / 2 + e] -= tail;
  }
  std::shuffle(c.begin(), c.end(), rng);
  return c;
}

// Top-k routing with uneven expert popularity (weights exp(0.6 N(0, 1)), k distinct experts per token
// drawn by weight): rows per expert spread from about half to twice the mean, as a trained router's.
static std::vector<int> skewed_counts(int T, int E, int topK, std::mt19937& rng) {
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<double> w(E);
  for (double& v : w) v = std::exp(0.6 * nd(rng));
  std::vector<int> c(E, 0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int t = 0; t < T; t++) {
    std::vector<double> left = w;
    for (int j = 0; j < topK; j++) {
      double sum = 0;
      for (double v : left) sum += v;
      double x = u(rng) * sum;
      int e = 0;
      while (e < E - 1 && (x -= left[e]) > 0) e++;
      while (left[e] == 0) e = (e + 1) % E;
      c[e]++;
      left[e] = 0;
    }
  }
  return c;
}

static void print_counts(const char* name, const std::vector<int>& c) {
  int lo = 1 << 30, hi = 0;
  for (int v : c) lo = std::min(lo, v), hi = std::max(hi, v);
  printf("ROUTING %s: rows per expert %d..%d:", name, lo, hi);
  for (int v : c) printf(" %d", v);
  printf("\n");
}

struct DevRouting {
  int *assign, *counts, *cursor, *tiles, *numTiles;
  int maxTiles, tileM;
  int gvRows;  // rows the gemv variant must hold: the largest expert count, rounded up to 1, 2, 4, 8
  // gemm_wgmma_n256_tails (tileM = WG_BM only): the step's tiles in two lists (split_tails below): the wide kernel's
  // (tilesW, nW) and the tensor-core gemv's (tilesT, nT). Null / 0 otherwise.
  int *tilesW = nullptr, *numTilesW = nullptr, *tilesT = nullptr, *numTilesT = nullptr;
  int nW = 0, nT = 0;
};

// gemm_wgmma_n256_tails: the lists as moe_group (moe_route.cu) cuts them on the device with tails on (tailRows =
// MOE_TAIL_ROWS, as GPTOSS_CUDA_MOE_TAILS=on in the engine), checked against the same
// cut made here on the host (sorted rows grouped by expert, as moe_group): every expert's whole WG_BM-row tiles and a
// last partial tile of more than MOE_TAIL_ROWS rows for the wide kernel, a last part of 1..MOE_TAIL_ROWS rows as tiles
// of TC_ROWS for the gemv.
static int tailListChecks = 0, tailListFailures = 0;

static std::vector<int> download_tiles(const int* tiles, const int* numTiles, int* n) {
  CK(cudaMemcpy(n, numTiles, 4, cudaMemcpyDeviceToHost));
  std::vector<int> t(3 * (size_t)*n);
  if (*n > 0) CK(cudaMemcpy(t.data(), tiles, t.size() * 4, cudaMemcpyDeviceToHost));
  return t;
}

static void split_tails(const std::vector<int>& counts, DevRouting& d) {
  std::vector<int> w, t;
  int rowStart = 0;
  for (int e = 0; e < (int)counts.size(); e++) {
    const int n = counts[e], whole = n / WG_BM, rem = n % WG_BM;
    for (int i = 0; i < whole; i++) w.insert(w.end(), {e, rowStart + i * WG_BM, rowStart + (i + 1) * WG_BM});
    const int r0 = rowStart + whole * WG_BM;
    if (rem > MOE_TAIL_ROWS) w.insert(w.end(), {e, r0, r0 + rem});
    else
      for (int j = 0; j < rem; j += TC_ROWS) t.insert(t.end(), {e, r0 + j, r0 + std::min(rem, j + TC_ROWS)});
    rowStart += n;
  }
  const int E = (int)counts.size(), maxT = E * ((MOE_TAIL_ROWS + TC_ROWS - 1) / TC_ROWS);
  CK(cudaMalloc(&d.tilesW, d.maxTiles * 12));
  CK(cudaMalloc(&d.numTilesW, 4));
  CK(cudaMalloc(&d.tilesT, maxT * 12));
  CK(cudaMalloc(&d.numTilesT, 4));
  MoeGroupArgs g{d.counts, d.cursor, d.tilesW, d.numTilesW, E, WG_BM, d.maxTiles, 0, E, d.tilesT, d.numTilesT,
                 MOE_TAIL_ROWS, TC_ROWS, maxT};
  moe_group<<<1, 256>>>(g);
  CK(cudaGetLastError());
  std::vector<int> gotW = download_tiles(d.tilesW, d.numTilesW, &d.nW), gotT = download_tiles(d.tilesT, d.numTilesT, &d.nT);
  tailListChecks++;
  if (gotW != w || gotT != t) {
    tailListFailures++;
    printf("KERNELCHECK moe_group_tails FAIL: %d + %d tiles on the device, %zu + %zu on the host\n", d.nW, d.nT, w.size() / 3,
           t.size() / 3);
  }
}

// tails: also cut gemm_wgmma_n256_tails's two lists (moe_group with tails on), for that kernel only.
static DevRouting upload_routing(const Routing& r, int E, int tileM, bool tails = false) {
  DevRouting d;
  d.tileM = tileM;
  d.maxTiles = (r.R + tileM - 1) / tileM + std::min(E, r.R);
  int most = 0;
  for (int c : r.counts) most = std::max(most, c);
  d.gvRows = most <= 1 ? 1 : most <= 2 ? 2 : most <= 4 ? 4 : GV_ROWS;
  CK(cudaMalloc(&d.assign, r.R * 4));
  CK(cudaMalloc(&d.counts, E * 4));
  CK(cudaMalloc(&d.cursor, E * 4));
  CK(cudaMalloc(&d.tiles, d.maxTiles * 12));
  CK(cudaMalloc(&d.numTiles, 4));
  CK(cudaMemcpy(d.assign, r.assign.data(), r.R * 4, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(d.counts, r.counts.data(), E * 4, cudaMemcpyHostToDevice));
  MoeGroupArgs g{d.counts, d.cursor, d.tiles, d.numTiles, E, tileM, d.maxTiles, 0, E};
  moe_group<<<1, 256>>>(g);
  CK(cudaGetLastError());
  if (tails && tileM == WG_BM) split_tails(r.counts, d);
  return d;
}

static void free_routing(DevRouting& d) {
  cudaFree(d.assign);
  cudaFree(d.counts);
  cudaFree(d.cursor);
  cudaFree(d.tiles);
  cudaFree(d.numTiles);
  if (d.tilesW) {
    cudaFree(d.tilesW);
    cudaFree(d.numTilesW);
    cudaFree(d.tilesT);
    cudaFree(d.numTilesT);
  }
}

enum Kernel { GEMM, GEMV, GEMV_TC, WGMMA, WGMMA_LS6, WGMMA_N256, WGMMA_P2, WGMMA_N256_LS6, WGMMA_M192, WGMMA_N256_M192,
              WGMMA_N256_RD3, WGMMA_N256_LS6RD4, WGMMA_M192_RD2, WGMMA_N256_SB, WGMMA_N256_TAILS, SWAP, SWAP_CH16, SWAP_CH64, SWAP_PW1, SWAP_LS6, SWAP_CW3, NKERNELS };
static bool is_wgmma(Kernel k) { return k >= WGMMA && k <= WGMMA_N256_TAILS; }
static bool is_swap(Kernel k) { return k >= SWAP && k <= SWAP_CW3; }
static const SwapShape& swap_shape(Kernel k) { return SWAP_SHAPES[k - SWAP]; }
// Precise mode doubles the A ring: the 6-slot, 256-feature and 192-row variants then exceed 227 KB of
// shared memory and run fast only. The swap-AB kernels are fast-mode kernels.
static bool runs_precise(Kernel k) { return k == WGMMA || k == WGMMA_P2 || (!is_wgmma(k) && !is_swap(k)); }
// The swap-AB kernels need N a multiple of 64 (whole warpgroups of features).
static bool supports(Kernel k, int N) { return !is_swap(k) || N % 64 == 0; }

static void launch(Kernel kind, const MoeGemmArgs& a, const DevRouting& d) {
  if (kind == GEMM) {
    int smem = MOE_GEMM_SMEM(a.aLo != nullptr);
    bf16_mxfp4w_moe_gemm<<<dim3(d.maxTiles, (a.N + BN - 1) / BN), 256, smem>>>(a);
  } else if (kind == WGMMA) {
    bf16_mxfp4w_moe_gemm_wgmma<<<dim3(d.maxTiles, (a.N + 127) / 128), 384, MOE_WGMMA_SMEM(a.aLo != nullptr)>>>(a);
  } else if (kind == WGMMA_LS6) {
    gemm_wgmma_ls6<<<dim3(d.maxTiles, (a.N + 127) / 128), 384, WG_LS6_SMEM(false)>>>(a);
  } else if (kind == WGMMA_N256) {
    gemm_wgmma_n256<<<dim3(d.maxTiles, (a.N + 255) / 256), 384, WG_N256_SMEM(false)>>>(a);
  } else if (kind == WGMMA_P2) {
    gemm_wgmma_p2<<<dim3(d.maxTiles, (a.N + 127) / 128), 512, WG_P2_SMEM(a.aLo != nullptr)>>>(a);
  } else if (kind == WGMMA_N256_LS6) {
    gemm_wgmma_n256_ls6<<<dim3(d.maxTiles, (a.N + 255) / 256), 384, WG_N256_LS6_SMEM>>>(a);
  } else if (kind == WGMMA_M192) {
    gemm_wgmma_m192<<<dim3(d.maxTiles, (a.N + 127) / 128), 512, WG_M192_SMEM>>>(a);
  } else if (kind == WGMMA_N256_M192) {
    gemm_wgmma_n256_m192<<<dim3(d.maxTiles, (a.N + 255) / 256), 512, WG_N256_M192_SMEM>>>(a);
  } else if (kind == WGMMA_N256_RD3) {
    gemm_wgmma_n256_rd3<<<dim3(d.maxTiles, (a.N + 255) / 256), 384, WG_N256_SMEM(false)>>>(a);
  } else if (kind == WGMMA_N256_LS6RD4) {
    gemm_wgmma_n256_ls6rd4<<<dim3(d.maxTiles, (a.N + 255) / 256), 384, WG_N256_LS6_SMEM>>>(a);
  } else if (kind == WGMMA_M192_RD2) {
    gemm_wgmma_m192_rd2<<<dim3(d.maxTiles, (a.N + 127) / 128), 512, WG_M192_SMEM>>>(a);
  } else if (kind == WGMMA_N256_SB) {
    gemm_wgmma_n256_sb<<<dim3(d.maxTiles, (a.N + 255) / 256), 384, WG_N256_SMEM(false)>>>(a);
  } else if (kind == WGMMA_N256_TAILS) {  // two launches: the wide kernel on whole tiles, the gemv on short last tiles
    MoeGemmArgs w = a, t = a;
    w.tiles = d.tilesW;
    w.numTiles = d.numTilesW;
    t.tiles = d.tilesT;
    t.numTiles = d.numTilesT;
    if (d.nW > 0) gemm_wgmma_n256<<<dim3(d.nW, (a.N + 255) / 256), 384, WG_N256_SMEM(false)>>>(w);
    if (d.nT > 0)
      bf16_mxfp4w_moe_gemv_tc<<<dim3(d.nT, (a.N + TC_FB - 1) / TC_FB), 256, MOE_GEMV_TC_SMEM(a.K, TC_ROWS, false)>>>(t);
  } else if (is_swap(kind)) {
    const SwapShape& sh = swap_shape(kind);
    dim3 grid(d.maxTiles, (a.N + sh.fb() - 1) / sh.fb());
    void (*const fns[])(MoeGemmArgs) = {bf16_mxfp4w_moe_gemm_swap, gemm_swap_ch16, gemm_swap_ch64, gemm_swap_pw1,
                                        gemm_swap_ls6, gemm_swap_cw3};
    fns[kind - SWAP]<<<grid, sh.threads(), sh.smem()>>>(a);
  } else if (kind == GEMV_TC) {
    // room for the most rows a tile can hold (gvRows <= TC_ROWS), hi and lo planes in precise mode
    int smem = MOE_GEMV_TC_SMEM(a.K, d.gvRows, a.aLo != nullptr);
    bf16_mxfp4w_moe_gemv_tc<<<dim3(d.maxTiles, (a.N + TC_FB - 1) / TC_FB), 256, smem>>>(a);
  } else {
    int smem = MOE_GEMV_SMEM_R(a.K, d.gvRows);
    dim3 grid(d.maxTiles, (a.N + GV_FB - 1) / GV_FB);
    if (d.gvRows == 1) bf16_mxfp4w_moe_gemv_r1<<<grid, 256, smem>>>(a);
    else if (d.gvRows == 2) bf16_mxfp4w_moe_gemv_r2<<<grid, 256, smem>>>(a);
    else if (d.gvRows == 4) bf16_mxfp4w_moe_gemv_r4<<<grid, 256, smem>>>(a);
    else bf16_mxfp4w_moe_gemv<<<grid, 256, smem>>>(a);
  }
}

static const char* kname(Kernel k) {
  const char* names[] = {"gemm",           "gemv",          "gemv_tc",        "gemm_wgmma",          "gemm_wgmma_ls6",
                         "gemm_wgmma_n256", "gemm_wgmma_p2", "gemm_wgmma_n256_ls6", "gemm_wgmma_m192", "gemm_wgmma_n256_m192",
                         "gemm_wgmma_n256_rd3", "gemm_wgmma_n256_ls6rd4", "gemm_wgmma_m192_rd2", "gemm_wgmma_n256_sb", "gemm_wgmma_n256_tails",
                         "gemm_swap",      "gemm_swap_ch16", "gemm_swap_ch64", "gemm_swap_pw1",     "gemm_swap_ls6",
                         "gemm_swap_cw3"};
  static_assert(sizeof names / sizeof names[0] == NKERNELS, "one name per kernel");
  return names[k];
}
// MOE_CHECK_KERNELS: a comma-separated list of kernel names, or unset for all.
static bool kernel_unfit[NKERNELS];  // set at start: the kernel cannot launch on this GPU (registers, shared memory)
static bool kernel_enabled(Kernel k) {
  if (kernel_unfit[k]) return false;
  const char* list = getenv("MOE_CHECK_KERNELS");
  if (!list) return true;
  return (std::string(",") + list + ",").find(std::string(",") + kname(k) + ",") != std::string::npos;
}
// Rows per tile, as the routing (moe_group) must cut them for the kernel.
static int tile_rows(Kernel k) {
  if (k == WGMMA_M192 || k == WGMMA_N256_M192 || k == WGMMA_M192_RD2) return 3 * 64;  // three consumer warpgroups
  return k == GEMV ? GV_ROWS : k == GEMV_TC ? TC_ROWS : is_wgmma(k) ? WG_BM : is_swap(k) ? swap_shape(k).rmax() : BM;
}

// Inputs of one mode: A rows (hi, lo) and the outputs.
struct Case {
  int mode, K, N, topK;
  float limit;
  bf16 *aHi, *aLo;  // mode 0: [T, K]; mode 1: [R, K] sorted rows
  void* out;
  bf16* outLo;
  std::vector<float> aF, aHiF;  // host float (hi + lo) and hi alone, in the same layout
};

static Case make_case(int mode, const Routing& r, int K, int N, std::mt19937& rng) {
  Case c{mode, K, N, r.topK, 7.f};
  int rowsA = mode == 0 ? r.T : r.R;
  std::vector<bf16> hi((size_t)rowsA * K), lo((size_t)rowsA * K);
  c.aF.resize(hi.size());
  c.aHiF.resize(hi.size());
  std::normal_distribution<float> nd(0.f, 1.f);
  for (size_t i = 0; i < hi.size(); i++) {
    float v = nd(rng);
    unsigned short h = host_f2bf(v);
    unsigned short l = host_f2bf(v - host_bf2f(h));
    hi[i] = h;
    lo[i] = l;
    c.aF[i] = host_bf2f(h) + host_bf2f(l);
    c.aHiF[i] = host_bf2f(h);
  }
  CK(cudaMalloc(&c.aHi, hi.size() * 2));
  CK(cudaMalloc(&c.aLo, lo.size() * 2));
  CK(cudaMemcpy(c.aHi, hi.data(), hi.size() * 2, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(c.aLo, lo.data(), lo.size() * 2, cudaMemcpyHostToDevice));
  size_t outBytes = mode == 0 ? (size_t)r.R * (N / 2) * 2 : (size_t)r.R * N * 4;
  CK(cudaMalloc(&c.out, outBytes));
  CK(cudaMalloc(&c.outLo, mode == 0 ? outBytes : 2));
  return c;
}

static void free_case(Case& c) {
  cudaFree(c.aHi);
  cudaFree(c.aLo);
  cudaFree(c.out);
  cudaFree(c.outLo);
}

static MoeGemmArgs args_for(const Case& c, const Experts& x, const DevRouting& d, bool precise) {
  MoeGemmArgs a;
  a.a = c.aHi;
  a.aLo = precise ? c.aLo : nullptr;
  a.assign = d.assign;
  a.tiles = d.tiles;
  a.numTiles = d.numTiles;
  a.blocks = x.blocks;
  a.scalesT = x.scalesT;
  a.bias = x.bias;
  a.out = c.out;
  a.outLo = c.mode == 0 && precise ? c.outLo : nullptr;
  a.topK = c.topK;
  a.K = c.K;
  a.N = c.N;
  a.mode = c.mode;
  a.limit = c.limit;
  return a;
}

// Reference outputs in kernel layout: mode 0 act[R, N/2] (sorted rows); mode 1 y[R, N] at assign[r].
static std::vector<double> reference(const Case& c, const Routing& r, const Experts& x, bool precise) {
  std::vector<float> A((size_t)r.R * c.K);
  for (int row = 0; row < r.R; row++) {
    int src = c.mode == 0 ? r.assign[row] / r.topK : row;
    for (int k = 0; k < c.K; k++) {
      A[(size_t)row * c.K + k] = (precise ? c.aF : c.aHiF)[(size_t)src * c.K + k];
    }
  }
  float *dA, *dU;
  int* dE;
  CK(cudaMalloc(&dA, A.size() * 4));
  CK(cudaMalloc(&dU, (size_t)r.R * c.N * 4));
  CK(cudaMalloc(&dE, r.R * 4));
  CK(cudaMemcpy(dA, A.data(), A.size() * 4, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(dE, r.rowExpert.data(), r.R * 4, cudaMemcpyHostToDevice));
  long long total = (long long)r.R * c.N;
  ref_moe<<<(unsigned)((total + 255) / 256), 256>>>(dA, dE, r.R, x.blocks, x.scalesT, x.bias, c.K, c.N, dU);
  CK(cudaGetLastError());
  std::vector<float> u(total);
  CK(cudaMemcpy(u.data(), dU, total * 4, cudaMemcpyDeviceToHost));
  cudaFree(dA);
  cudaFree(dU);
  cudaFree(dE);
  std::vector<double> out;
  if (c.mode == 0) {
    out.resize((size_t)r.R * (c.N / 2));
    for (int row = 0; row < r.R; row++)
      for (int i = 0; i < c.N / 2; i++) {
        double gate = std::min((double)u[(size_t)row * c.N + 2 * i], (double)c.limit);
        double up = std::max(std::min((double)u[(size_t)row * c.N + 2 * i + 1], (double)c.limit), -(double)c.limit);
        out[(size_t)row * (c.N / 2) + i] = gate / (1.0 + exp(-1.702 * gate)) * (up + 1.0);
      }
  } else {
    out.resize(total);
    for (int row = 0; row < r.R; row++)
      for (int n = 0; n < c.N; n++) out[(size_t)r.assign[row] * c.N + n] = u[(size_t)row * c.N + n];
  }
  return out;
}

static void compare(const char* name, Kernel kind, const Case& c, const Routing& r, const Experts& x, bool precise,
                    const std::vector<double>& ref) {
  if ((precise && !runs_precise(kind)) || !kernel_enabled(kind) || !supports(kind, c.N)) return;
  DevRouting d = upload_routing(r, x.E, tile_rows(kind), kind == WGMMA_N256_TAILS);
  MoeGemmArgs a = args_for(c, x, d, precise);
  size_t n = ref.size();
  CK(cudaMemset(c.out, 0xff, c.mode == 0 ? n * 2 : n * 4));  // NaN: unwritten outputs fail
  launch(kind, a, d);
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
  double maxAbs = 0, num = 0, den = 0;
  bool finite = true;
  for (size_t i = 0; i < n; i++) {
    if (!std::isfinite(got[i])) finite = false;
    double dlt = got[i] - ref[i];
    maxAbs = std::max(maxAbs, std::fabs(dlt));
    num += dlt * dlt;
    den += ref[i] * ref[i];
  }
  double rel = std::sqrt(num / std::max(den, 1e-30));
  // fast mode 0 rounds act to bf16 once (relative 2^-9); otherwise float32 sums in another order.
  // The tensor-core kernels in precise mode: the H100's mma.sync sums bf16 products at slightly
  // less than float32 precision; over K = 2,880 that measured rel_l2 2.2e-5..2.4e-5 for the previous and
  // the current gemm alike (the CUDA-core gemv: 5e-6), hence 5e-5 for the gemm family (gemv_tc included).
  double tol = (!precise && c.mode == 0) ? 4e-3 : (precise && kind != GEMV) ? 5e-5 : 2e-5;
  bool pass = finite && rel <= tol;
  printf("KERNELCHECK %s_%s_%s %s rows=%d K=%d N=%d max_abs=%.3g rel_l2=%.3g tol=%.1g\n", kname(kind), name,
         precise ? "precise" : "fast", pass ? "PASS" : "FAIL", r.R, c.K, c.N, maxAbs, rel, tol);
  failures += !pass;
  free_routing(d);
}

// Time one kernel on one case (ms per call, median of repeats); the L2 (50 MB on an H100) is flushed
// before each call by writing 256 MB, so weights come from memory as in a real step.
static void* l2flush = nullptr;
static const size_t L2FLUSH_BYTES = 256u << 20;

// MOE_CHECK_FLUSH=read: evict the L2 by reading the 256 MB instead of writing it, so that no dirty
// lines are written back while the timed kernel reads its weights (as in a decode step, where the L2
// holds clean weight lines); the default (write) is what the tables in ExpertGemmPlan were timed with.

static void flush_l2(int i) {
  static const bool read = getenv("MOE_CHECK_FLUSH") && !strcmp(getenv("MOE_CHECK_FLUSH"), "read");
  if (read) {
    l2_flush_read<<<528, 512>>>((const uint4*)l2flush, L2FLUSH_BYTES / 16, (unsigned*)l2flush);
  } else {
    CK(cudaMemsetAsync(l2flush, i & 0xff, L2FLUSH_BYTES));
  }
}

static float time_kernel(Kernel kind, const Case& c, const Routing& r, const Experts& x, bool precise, int reps) {
  DevRouting d = upload_routing(r, x.E, tile_rows(kind), kind == WGMMA_N256_TAILS);
  MoeGemmArgs a = args_for(c, x, d, precise);
  cudaEvent_t t0, t1;
  CK(cudaEventCreate(&t0));
  CK(cudaEventCreate(&t1));
  for (int i = 0; i < 2; i++) launch(kind, a, d);
  std::vector<float> ms;
  for (int i = 0; i < reps; i++) {
    flush_l2(i);
    CK(cudaEventRecord(t0));
    launch(kind, a, d);
    CK(cudaEventRecord(t1));
    CK(cudaEventSynchronize(t1));
    float m;
    CK(cudaEventElapsedTime(&m, t0, t1));
    ms.push_back(m);
  }
  CK(cudaGetLastError());
  cudaEventDestroy(t0);
  cudaEventDestroy(t1);
  free_routing(d);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

static double weight_bytes(const Routing& r, int K, int N) {
  int used = 0;
  for (int c : r.counts) used += c > 0;
  return (double)used * N * K * 17.0 / 32.0;
}

static void report(const char* shape, const char* mode, Kernel kind, bool precise, float ms, const Routing& r, int K,
                   int N) {
  double flops = 2.0 * r.R * N * K * (precise && kind != GEMV ? 2 : 1);  // gemm: two products with aLo
  printf("TIMING %-14s %-8s %s %-7s rows=%6d  %8.1f us  %7.1f TFLOP/s  %7.0f GB/s of weights\n", shape, mode,
         kname(kind), precise ? "precise" : "fast", r.R, ms * 1e3, flops / (ms * 1e-3) / 1e12,
         weight_bytes(r, K, N) / (ms * 1e-3) / 1e9);
}

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // every line reaches the log even if a kernel hangs or traps
  std::mt19937 rng(1234);
  CK(cudaFuncSetAttribute(bf16_mxfp4w_moe_gemm, cudaFuncAttributeMaxDynamicSharedMemorySize, MOE_GEMM_SMEM(true)));
  CK(cudaFuncSetAttribute(bf16_mxfp4w_moe_gemv, cudaFuncAttributeMaxDynamicSharedMemorySize, MOE_GEMV_SMEM(2880)));
  CK(cudaFuncSetAttribute(bf16_mxfp4w_moe_gemv_r4, cudaFuncAttributeMaxDynamicSharedMemorySize, MOE_GEMV_SMEM_R(2880, 4)));
  CK(cudaFuncSetAttribute(bf16_mxfp4w_moe_gemm_wgmma, cudaFuncAttributeMaxDynamicSharedMemorySize, MOE_WGMMA_SMEM(true)));
  CK(cudaFuncSetAttribute(gemm_wgmma_ls6, cudaFuncAttributeMaxDynamicSharedMemorySize, WG_LS6_SMEM(false)));
  CK(cudaFuncSetAttribute(gemm_wgmma_n256, cudaFuncAttributeMaxDynamicSharedMemorySize, WG_N256_SMEM(false)));
  CK(cudaFuncSetAttribute(gemm_wgmma_p2, cudaFuncAttributeMaxDynamicSharedMemorySize, WG_P2_SMEM(true)));
  {
    // the fast-only variants: each fails alone if it cannot launch (shared memory, registers x threads), and
    // the setmaxnreg one also if its launch's register pool is short of what its warpgroups ask (it would hang)
    struct WgShape {
      Kernel k;
      void (*fn)(MoeGemmArgs);
      int threads, smem, pool;  // pool: registers the setmaxnreg warpgroups take in all, 0 for none
    };
    const WgShape shapes[] = {{WGMMA_N256_LS6, gemm_wgmma_n256_ls6, 384, WG_N256_LS6_SMEM, 0},
                              {WGMMA_M192, gemm_wgmma_m192, 512, WG_M192_SMEM, 0},
                              {WGMMA_N256_M192, gemm_wgmma_n256_m192, 512, WG_N256_M192_SMEM,
                               128 * WG_N256_M192_RP + 384 * WG_N256_M192_RC},
                              {WGMMA_N256_RD3, gemm_wgmma_n256_rd3, 384, WG_N256_SMEM(false), 0},
                              {WGMMA_N256_LS6RD4, gemm_wgmma_n256_ls6rd4, 384, WG_N256_LS6_SMEM, 0},
                              {WGMMA_M192_RD2, gemm_wgmma_m192_rd2, 512, WG_M192_SMEM, 0},
                              {WGMMA_N256_SB, gemm_wgmma_n256_sb, 384, WG_N256_SMEM(false), 0}};
    for (const WgShape& w : shapes) {
      CK(cudaFuncSetAttribute(w.fn, cudaFuncAttributeMaxDynamicSharedMemorySize, w.smem));
      int blocks = 0;
      cudaFuncAttributes fa;
      CK(cudaFuncGetAttributes(&fa, w.fn));
      CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, w.fn, w.threads, w.smem));
      printf("WGSHAPE %s: %d threads, %d registers, %d + %zu bytes of shared memory, %d block(s) per SM\n", kname(w.k),
             w.threads, fa.numRegs, w.smem, fa.sharedSizeBytes, blocks);
      if (blocks < 1 || fa.numRegs * w.threads < w.pool) {
        printf("KERNELCHECK %s FAIL %s\n", kname(w.k),
               blocks < 1 ? "does not fit an SM" : "launch register pool below the setmaxnreg counts");
        failures++;
        kernel_unfit[w.k] = true;
      }
    }
  }
  {
    void (*const fns[])(MoeGemmArgs) = {bf16_mxfp4w_moe_gemm_swap, gemm_swap_ch16, gemm_swap_ch64, gemm_swap_pw1,
                                        gemm_swap_ls6, gemm_swap_cw3};
    for (int i = 0; i < SWAP_CW3 - SWAP + 1; i++) {
      CK(cudaFuncSetAttribute(fns[i], cudaFuncAttributeMaxDynamicSharedMemorySize, SWAP_SHAPES[i].smem()));
      // a variant that cannot launch (registers x threads or shared memory over the SM's) fails alone
      int blocks = 0;
      cudaFuncAttributes fa;
      CK(cudaFuncGetAttributes(&fa, fns[i]));
      CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, fns[i], SWAP_SHAPES[i].threads(), SWAP_SHAPES[i].smem()));
      printf("SWAPSHAPE %s: CW %d CH %d NC %d LS %d PW %d, %d threads, %d registers, %d + %zu bytes of shared memory, %d block(s) per SM\n",
             kname((Kernel)(SWAP + i)), SWAP_SHAPES[i].cw, SWAP_SHAPES[i].ch, SWAP_SHAPES[i].nc, SWAP_SHAPES[i].ls,
             SWAP_SHAPES[i].pw, SWAP_SHAPES[i].threads(), fa.numRegs, SWAP_SHAPES[i].smem(), fa.sharedSizeBytes, blocks);
      if (blocks < 1) {
        printf("KERNELCHECK %s FAIL does not fit an SM\n", kname((Kernel)(SWAP + i)));
        failures++;
        kernel_unfit[SWAP + i] = true;
      }
    }
  }
  CK(cudaFuncSetAttribute(bf16_mxfp4w_moe_gemv_tc, cudaFuncAttributeMaxDynamicSharedMemorySize, MOE_GEMV_TC_SMEM(2880, TC_ROWS, true)));
  CK(cudaMalloc(&l2flush, L2FLUSH_BYTES));
  check_unpack();

  const int H = 2880, I2 = 5760, topK = 4;
  // MOE_CHECK_TIMING=NAME[,NAME]: only the timings of those shapes (e.g. under ncu); else everything.
  const char* only = getenv("MOE_CHECK_TIMING");
  // ---- correctness ----
  struct Shape {
    const char* name;
    int E, K, N;
  };
  // tiny: one k step; mid: gate_up 3 steps, the last a half (K = 160), down 2 steps (K = 128, N = 160)
  for (int big = 0; big < 3 && !only; big++) {
    Shape sh = big == 2 ? Shape{"20b", 32, H, I2} : big == 1 ? Shape{"mid", 8, 160, 256} : Shape{"tiny", 8, 64, 128};
    Experts gu = make_experts(sh.E, sh.K, sh.N, rng);
    Experts dn = make_experts(sh.E, sh.N / 2, sh.K, rng);  // down: K = N/2 of gate_up, N = hidden
    // Edge-case routings: empty experts, 1 row, tile + 1 rows (both tile sizes), and random top-k.
    std::vector<std::vector<int>> routings;
    std::vector<int> edge(sh.E, 0);
    edge[1] = 1;
    edge[2] = BM + 1;
    edge[3] = GV_ROWS + 1;
    edge[5] = GV_ROWS;
    edge[4] = 2 * BM + 1;  // 257 rows: two full 128-row tiles and one row (swap: 256 + 1)
    edge[sh.E - 1] = 3;
    routings.push_back(edge);
    std::vector<int> one(sh.E, 0);
    for (int j = 0; j < topK; j++) one[(j * 7 + 3) % sh.E] = 1;  // single stream: 4 rows on 4 experts
    routings.push_back(one);
    routings.push_back(random_counts(big ? 64 : 40, sh.E, topK, rng));
    if (big) routings.push_back(skewed_counts(big == 2 ? 256 : 300, sh.E, topK, rng));
    for (size_t ri = 0; ri < routings.size(); ri++) {
      Routing r = make_routing(routings[ri], topK, rng);
      for (int mode = 0; mode < 2; mode++) {
        const Experts& x = mode == 0 ? gu : dn;
        Case c = make_case(mode, r, x.K, x.N, rng);
        char name[64];
        snprintf(name, sizeof name, "%s_%s_routing%zu", sh.name, mode == 0 ? "gateup" : "down", ri);
        for (int p = 0; p < 2; p++) {
          std::vector<double> ref = reference(c, r, x, p == 1);
          for (int k = 0; k < NKERNELS; k++) compare(name, (Kernel)k, c, r, x, p == 1, ref);
        }
        free_case(c);
      }
    }
    free_experts(gu);
    free_experts(dn);
  }
  // decode batch 1,024 (every kernel) for correctness at the full shape: uniform top-4, 128 + tails of
  // 1-20 rows, uneven expert popularity
  {
    Experts gu = make_experts(32, H, I2, rng), dn = make_experts(32, H, H, rng);
    const char* decodeNames[] = {"decode1024", "decode1024tails", "decode1024skew"};
    for (int v = 0; v < 3 && !only; v++) {
      std::vector<int> counts = v == 0 ? random_counts(1024, 32, topK, rng) : v == 1 ? tail_counts(32, rng)
                                                                                  : skewed_counts(1024, 32, topK, rng);
      print_counts(decodeNames[v], counts);
      Routing r = make_routing(counts, topK, rng);
      for (int mode = 0; mode < 2; mode++) {
        const Experts& x = mode == 0 ? gu : dn;
        Case c = make_case(mode, r, x.K, x.N, rng);
        char name[64];
        snprintf(name, sizeof name, "%s_%s", decodeNames[v], mode == 0 ? "gateup" : "down");
        for (int p = 0; p < 2; p++) {
          // precise: the kernels that run it; fast: all (the tails and skew cases only where the
          // production kernels differ: gemm, wgmma, wgmma_n256 and the swap family, and the variants
          // made for this step: a 6-deep ring, 192-row tiles (tails of 1-20 rows are what those are for))
          std::vector<double> ref = reference(c, r, x, p == 1);
          for (int k = 0; k < NKERNELS; k++)
            if (v == 0 || k == GEMM || k == WGMMA || is_swap((Kernel)k) || k == WGMMA_N256 || k == WGMMA_N256_LS6 ||
                k == WGMMA_M192 || k == WGMMA_N256_M192 || k >= WGMMA_N256_RD3 && k <= WGMMA_N256_TAILS)
              compare(name, (Kernel)k, c, r, x, p == 1, ref);
        }
        free_case(c);
      }
    }

    // ---- timings ----
    struct TimingShape {
      const char* name;
      int T;
      bool gemm, gemv;
      int routing;  // 0: uniform top-4; 1: 128 + tails of 1-20 rows (T = 1,024); 2: uneven popularity
    };
    const TimingShape shapes[] = {{"single-stream", 1, true, true, 0},  {"T=2", 2, false, true, 0},
                                  {"T=4", 4, false, true, 0},           {"T=8", 8, true, true, 0},
                                  {"T=16", 16, true, true, 0},          {"T=32", 32, true, true, 0},
                                  {"T=64", 64, true, true, 0},          {"T=128", 128, true, true, 0},
                                  {"T=256", 256, true, true, 0},        {"T=512", 512, true, true, 0},
                                  {"decode-1024", 1024, true, true, 0}, {"decode-1024-tails", 1024, true, false, 1},
                                  {"decode-1024-skew", 1024, true, false, 2}, {"T=2048", 2048, true, false, 0},
                                  {"T=4096", 4096, true, false, 0},     {"prefill-9216", 9216, true, false, 0}};
    for (const TimingShape& s : shapes) {
      if (only && !strstr(only, s.name)) continue;
      std::vector<int> counts(32, 0);
      if (s.T == 1)
        for (int j = 0; j < topK; j++) counts[j * 8] = 1;
      else if (s.routing == 1)
        counts = tail_counts(32, rng);
      else if (s.routing == 2)
        counts = skewed_counts(s.T, 32, topK, rng);
      else
        counts = random_counts(s.T, 32, topK, rng);
      if (s.T >= 1024) print_counts(s.name, counts);
      Routing rr = make_routing(counts, topK, rng);
      int reps = s.T >= 9216 ? 5 : 20;
      for (int p = 0; p < 2; p++) {
        float total[NKERNELS] = {};
        for (int mode = 0; mode < 2; mode++) {
          const Experts& x = mode == 0 ? gu : dn;
          Case c = make_case(mode, rr, x.K, x.N, rng);
          for (int k = 0; k < NKERNELS; k++) {
            Kernel kind = (Kernel)k;
            // the tensor-core gemv: single stream to T=64 (one step past the gemv/gemm crossover)
            if (!(kind == GEMV ? s.gemv : kind == GEMV_TC ? s.gemv && s.T <= 64 : s.gemm)) continue;
            if ((p == 1 && !runs_precise(kind)) || !kernel_enabled(kind) || !supports(kind, x.N)) continue;
            float ms = time_kernel(kind, c, rr, x, p == 1, reps);
            total[k] += ms;
            report(s.name, mode == 0 ? "gate_up" : "down", kind, p == 1, ms, rr, x.K, x.N);
          }
          free_case(c);
        }
        printf("TIMING %-14s both products %-7s (us per layer):", s.name, p ? "precise" : "fast");
        for (int k = 0; k < NKERNELS; k++)
          if (total[k] > 0) printf(" %s %.1f", kname((Kernel)k), total[k] * 1e3);
        printf("\n");
        // old against new, same process, same inputs: the fastest swap-AB shape and the production one
        if (p == 0 && total[GEMM] > 0 && total[SWAP] > 0) {
          int best = SWAP;
          for (int k = SWAP; k <= SWAP_CW3; k++)
            if (total[k] > 0 && total[k] < total[best]) best = k;
          printf("TIMING %-14s SWAP-vs-GEMM fast (us per layer): gemm %.1f gemm_swap %.1f (%.2fx) best %s %.1f (%.2fx)\n",
                 s.name, total[GEMM] * 1e3, total[SWAP] * 1e3, total[GEMM] / total[SWAP], kname((Kernel)best),
                 total[best] * 1e3, total[GEMM] / total[best]);
        }
      }
    }
    free_experts(gu);
    free_experts(dn);
  }
  if (tailListChecks > 0 && tailListFailures == 0)
    printf("KERNELCHECK moe_group_tails PASS: %d routings, the device's lists equal to the host's cut\n", tailListChecks);
  failures += tailListFailures;
  printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
