// Fills device memory with reproducible random values for synthetic models (no files, no host
// copies): a counter-based hash of (seed, index). Bytes: count * element size written.
//   kind 0: bf16 ~ scale * (sum of 4 uniforms - 2) * sqrt(3)  (about N(0, scale^2))
//   kind 1: random bytes (MXFP4 nibbles)
//   kind 2: bytes offset + {0, 1, 2} (E8M0 scales)
//   kind 3: float offset + scale * U(-1, 1)
#include "gptoss_kernels.h"

__device__ __forceinline__ unsigned hash32(unsigned long long x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return (unsigned)x;
}

extern "C" __global__ void synthetic_fill(FillArgs a) {
  pdl_begin();
  long long stride = (long long)gridDim.x * blockDim.x;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < a.count; i += stride) {
    unsigned long long base = ((unsigned long long)a.seed << 40) ^ (unsigned long long)i * 4ULL;
    if (a.kind == 0) {
      float s = 0.f;
      for (int q = 0; q < 4; q++) s += hash32(base + q) * 2.3283064e-10f;
      ((bf16*)a.dst)[i] = f2bf(a.scale * (s - 2.f) * 1.7320508f);
    } else if (a.kind == 1) {
      ((u8*)a.dst)[i] = (u8)(hash32(base) >> 24);
    } else if (a.kind == 2) {
      ((u8*)a.dst)[i] = (u8)((int)a.offset + (int)(hash32(base) % 3u));
    } else {
      ((float*)a.dst)[i] = a.offset + a.scale * (hash32(base) * 4.6566129e-10f - 1.f);
    }
  }
}
