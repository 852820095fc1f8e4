// Sampling, one block of 1024 threads per output row, following backend/Sampler.java:
//   greedy (temperature <= 0 or top_k == 1): argmax, ties to the lowest id.
//   else w_i = exp((l_i - max) / T); u = the request's counter-based draw (computed on the host).
//   no truncation: the first id (ascending) whose cumulative w exceeds u * sum(w).
//   top-k / top-p: candidates in descending logit order (ties: lower id first); keep the first k,
//   then the shortest prefix whose mass reaches top_p of theirs; sample the first candidate whose
//   cumulative w exceeds u * (kept mass).
// No sort: a prefix of the descending order is found by a bitwise search over the order-preserving
// 32-bit key of the float logits (32 reductions over the row), ties resolved by a scan over ids.
// Bytes: V*4 per reduction pass (greedy: one pass); an entire row stays in L1/L2 between passes.
// Token masks (structured output): a row with a mask samples as if every token whose bit is clear had
// logit -inf (backend/TokenMask.java, Sampler.sample with a mask); the mask adds V/8 bytes per pass,
// read through L1/L2 like the row. Rows without a mask read no mask.
#include "gptoss_kernels.h"

#define ST 1024

__device__ __forceinline__ unsigned fkey(float f) {
  unsigned u = __float_as_uint(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// The logit of token i as the sampler sees it: -inf where the row's mask (if any) clears bit i.
__device__ __forceinline__ float logitAt(const float* lg, const unsigned long long* mask, int i) {
  if (mask != nullptr && !((mask[i >> 6] >> (i & 63)) & 1ull)) return __int_as_float(0xff800000);
  return lg[i];
}

struct RowCtx {
  const unsigned long long* mask;
  const float* lg;
  int V;
  float max;
  float invT;
  unsigned pKey;  // candidate prefix: key > pKey, or key == pKey and id <= pId
  int pId;
};

__device__ __forceinline__ bool inPrefix(const RowCtx& r, unsigned key, int i) {
  return key > r.pKey || (key == r.pKey && i <= r.pId);
}

__device__ __forceinline__ double weightOf(const RowCtx& r, float l, bool count) {
  return count ? 1.0 : exp((double)((l - r.max) * r.invT));
}

__device__ double blockSum(double v, double* sh) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  __syncthreads();
  if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = v;
  __syncthreads();
  double t = 0;
  for (int w = 0; w < (ST >> 5); w++) t += sh[w];
  return t;
}

// Mass (or count) of prefix members with key >= x.
__device__ double massGE(const RowCtx& r, unsigned x, bool count, double* sh) {
  double s = 0;
  for (int i = threadIdx.x; i < r.V; i += ST) {
    float l = logitAt(r.lg, r.mask, i);
    unsigned k = fkey(l);
    if (k >= x && inPrefix(r, k, i)) s += weightOf(r, l, count);
  }
  return blockSum(s, sh);
}

// First id (ascending) among members with (anyKey or key == x) whose cumulative weight passes
// need (strict: >, else >=). Each thread scans a contiguous id range. Returns -1 if none.
__device__ int scanIds(const RowCtx& r, bool anyKey, unsigned x, double need, bool strict, bool count, double* sh,
                       int* ish) {
  int chunk = (r.V + ST - 1) / ST;
  int b = threadIdx.x * chunk, e = min(r.V, b + chunk);
  double local = 0;
  for (int i = b; i < e; i++) {
    float l = logitAt(r.lg, r.mask, i);
    unsigned k = fkey(l);
    if ((anyKey || k == x) && inPrefix(r, k, i)) local += weightOf(r, l, count);
  }
  __syncthreads();
  sh[threadIdx.x] = local;
  if (threadIdx.x == 0) ish[0] = -1;
  __syncthreads();
  if (threadIdx.x == 0) {  // exclusive scan of 1024 partial sums, in id order
    double acc = 0;
    for (int t = 0; t < ST; t++) {
      double v = sh[t];
      sh[t] = acc;
      acc += v;
    }
  }
  __syncthreads();
  double acc = sh[threadIdx.x];
  bool crosses = strict ? (acc + local > need) : (acc + local >= need);
  bool before = strict ? (acc > need) : (acc >= need);
  if (crosses && !before) {
    for (int i = b; i < e; i++) {
      float l = logitAt(r.lg, r.mask, i);
      unsigned k = fkey(l);
      if ((anyKey || k == x) && inPrefix(r, k, i)) {
        acc += weightOf(r, l, count);
        if (strict ? acc > need : acc >= need) {
          ish[0] = i;
          break;
        }
      }
    }
  }
  __syncthreads();
  int res = ish[0];
  __syncthreads();
  return res;
}

// The first element of the descending order (within the current prefix) at which the cumulative
// weight passes target; returns it as the new prefix boundary (pKey, pId). Keeps the current
// boundary when the whole prefix does not pass (rounding).
__device__ void selectInOrder(RowCtx& r, double target, bool strict, bool count, double* sh, int* ish) {
  double total = massGE(r, 0u, count, sh);
  if (!(strict ? total > target : total >= target)) return;
  unsigned ans = 0;
  for (int bit = 31; bit >= 0; bit--) {
    unsigned cand = ans | (1u << bit);
    double m = massGE(r, cand, count, sh);
    if (strict ? m > target : m >= target) ans = cand;
  }
  double above = ans == 0xffffffffu ? 0.0 : massGE(r, ans + 1u, count, sh);
  int id = scanIds(r, false, ans, target - above, strict, count, sh, ish);
  if (id < 0) return;
  r.pKey = ans;
  r.pId = id;
}

extern "C" __global__ void __launch_bounds__(ST) sample_rows(SampleArgs a) {
  pdl_begin();
  __shared__ double sh[ST];
  __shared__ int ish[2];
  __shared__ float smax[32];
  __shared__ int sarg[32];
  int row = blockIdx.x;
  if (row >= a.numRows) return;
  const float* lg = a.logits + (long long)row * a.vocab;
  int slot = a.maskSlots != nullptr ? a.maskSlots[row] : -1;
  const unsigned long long* mask = slot >= 0 ? a.masks + (long long)slot * a.maskWords : nullptr;
  float temperature = a.params[row * 4], topP = a.params[row * 4 + 1];
  int topK = (int)a.params[row * 4 + 2];
  double u = a.params[row * 4 + 3];
  // argmax, ties to the lowest id
  float best = __int_as_float(0xff800000);
  int bestId = 0x7fffffff;
  for (int i = threadIdx.x; i < a.vocab; i += ST) {
    float l = logitAt(lg, mask, i);
    if (l > best || (l == best && i < bestId)) {
      best = l;
      bestId = i;
    }
  }
  for (int o = 16; o > 0; o >>= 1) {
    float ob = __shfl_xor_sync(0xffffffffu, best, o);
    int oi = __shfl_xor_sync(0xffffffffu, bestId, o);
    if (ob > best || (ob == best && oi < bestId)) {
      best = ob;
      bestId = oi;
    }
  }
  if ((threadIdx.x & 31) == 0) {
    smax[threadIdx.x >> 5] = best;
    sarg[threadIdx.x >> 5] = bestId;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < (ST >> 5); w++) {
      if (smax[w] > smax[0] || (smax[w] == smax[0] && sarg[w] < sarg[0])) {
        smax[0] = smax[w];
        sarg[0] = sarg[w];
      }
    }
  }
  __syncthreads();
  float max = smax[0];
  int argmax = sarg[0];
  if (temperature <= 0.f || topK == 1) {
    if (threadIdx.x == 0) a.sampled[row] = argmax;
    return;
  }
  RowCtx r;
  r.mask = mask;
  r.lg = lg;
  r.V = a.vocab;
  r.max = max;
  r.invT = 1.f / temperature;
  r.pKey = 0u;
  r.pId = a.vocab;
  bool truncate = (topK > 0 && topK < a.vocab) || topP < 1.f;
  if (!truncate) {
    double total = massGE(r, 0u, false, sh);
    int id = scanIds(r, true, 0u, u * total, true, false, sh, ish);
    if (id < 0) id = argmax;
    if (threadIdx.x == 0) a.sampled[row] = id;
    return;
  }
  if (topK > 0 && topK < a.vocab) selectInOrder(r, (double)topK, false, true, sh, ish);
  if (topP < 1.f) {
    double total = massGE(r, 0u, false, sh);
    selectInOrder(r, (double)topP * total, false, false, sh, ish);
  }
  double kept = massGE(r, 0u, false, sh);
  RowCtx boundary = r;
  selectInOrder(r, u * kept, true, false, sh, ish);
  int id = r.pKey == boundary.pKey && r.pId == boundary.pId ? boundary.pId : r.pId;
  if (id >= a.vocab) id = argmax;
  if (threadIdx.x == 0) a.sampled[row] = id;
}
