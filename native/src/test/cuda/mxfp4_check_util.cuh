// What the MXFP4 expert checks share (moe_check.cu, moe_split_check.cu): the E2M1 value of a code, the naive
// float32 reference product, and random experts (MXFP4 blocks, scales 2^-9..2^3 as a checkpoint's, biases) on the
// device. Include after the kernel sources (u8) and check_util.cuh.
#pragma once
#include <random>
#include <vector>

static float e2m1(int code) {
  static const float t[8] = {0.f, 0.5f, 1.f, 1.5f, 2.f, 3.f, 4.f, 6.f};
  return (code & 8) ? -t[code & 7] : t[code & 7];
}

// ---- naive reference: one thread per (row, feature), float32, plain MXFP4 formula ----
__global__ void ref_moe(const float* A, const int* rowExpert, int rows, const u8* blocks, const u8* scalesT,
                        const float* bias, int K, int N, float* u) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= (long long)rows * N) return;
  int r = i / N, n = i % N, e = rowExpert[r], nb = K / 32;
  const float tab[8] = {0.f, 0.5f, 1.f, 1.5f, 2.f, 3.f, 4.f, 6.f};
  float s = 0.f;
  for (int b = 0; b < nb; b++) {
    float scale = ldexpf(1.f, (int)scalesT[((long long)e * nb + b) * N + n] - 127);
    const u8* blk = blocks + (((long long)e * N + n) * nb + b) * 16;
    for (int q = 0; q < 32; q++) {
      int code = (blk[q / 2] >> (4 * (q & 1))) & 15;
      float w = ((code & 8) ? -tab[code & 7] : tab[code & 7]) * scale;
      s += A[(long long)r * K + b * 32 + q] * w;
    }
  }
  u[i] = s + bias[(long long)e * N + n];
}

struct Experts {
  int E, K, N;
  u8 *blocks, *scalesT;
  float* bias;
};


static Experts make_experts(int E, int K, int N, std::mt19937& rng) {
  Experts x{E, K, N};
  size_t nb = (size_t)E * N * (K / 32) * 16, ns = (size_t)E * (K / 32) * N;
  std::vector<u8> b(nb), s(ns);
  std::vector<float> bias((size_t)E * N);
  for (auto& v : b) v = rng() & 0xff;
  for (auto& v : s) v = 118 + rng() % 13;  // 118..130
  std::uniform_real_distribution<float> ub(-0.5f, 0.5f);
  for (auto& v : bias) v = ub(rng);
  CK(cudaMalloc(&x.blocks, nb));
  CK(cudaMalloc(&x.scalesT, ns));
  CK(cudaMalloc(&x.bias, bias.size() * 4));
  CK(cudaMemcpy(x.blocks, b.data(), nb, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(x.scalesT, s.data(), ns, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(x.bias, bias.data(), bias.size() * 4, cudaMemcpyHostToDevice));
  return x;
}

static void free_experts(Experts& x) {
  cudaFree(x.blocks);
  cudaFree(x.scalesT);
  cudaFree(x.bias);
}
