// The expert products of large steps on dequantized weights (ExpertGemmPlan.DENSE, CudaBackend's
// DenseExperts): per layer the experts' MXFP4 weights are unpacked to a bf16 scratch once, the
// products run as one cuBLAS GEMM per expert over that expert's sorted rows, and these kernels do
// what moe_gemm.cu fuses around its tiles:
//   mxfp4_dequant:    W[e, n, k] = E2M1(nibble) x 2^(scale - 127), bf16, exact (the lookup-table
//                     unpack of moe_gemm.cu, gptoss_kernels.h).
//   moe_gather_rows:  A[r, :] = h[assign[r] / k, :] (and its low part): the sorted rows, contiguous per expert.
//   moe_swiglu_rows:  act[r, i] = clamped SwiGLU(u[r, 2i] + b[e, 2i], u[r, 2i+1] + b[e, 2i+1]) -> bf16 hi (+ lo).
//   moe_scatter_rows: y[assign[r], n] = u[r, n] + b[e, n], float.
// The results are the sums of moe_gemm.cu in cuBLAS's order (float32 accumulation of the same bf16
// products), so the CPU backend is the twin of this path as of the others.
#include "gptoss_kernels.h"

// A block unpacks a tile of 32 features x 32 MXFP4 blocks (1,024 values along K per feature) of one
// expert: the tile's scales (32 x 32 bytes of scalesT, rows along n) are staged through shared memory,
// then consecutive threads take consecutive blocks along K of one feature, so every warp reads 512
// and writes 2,048 contiguous bytes. Grid (ceil(K/32 / 32), ceil(N / 32), E), 256 threads.
// Bytes: E*N*K*(17/32 read + 2 written).
#define DQ_TILE 32
extern "C" __global__ void __launch_bounds__(256) mxfp4_dequant(Mxfp4DequantArgs a) {
  pdl_begin();
  __shared__ unsigned char sc[DQ_TILE][DQ_TILE + 4];  // [block][feature]
  const int nb = a.K / 32, b0 = blockIdx.x * DQ_TILE, n0 = blockIdx.y * DQ_TILE, e = blockIdx.z;
  for (int i = threadIdx.x; i < DQ_TILE * DQ_TILE; i += blockDim.x) {
    const int b = i / DQ_TILE, n = i % DQ_TILE;
    sc[b][n] = (b0 + b < nb && n0 + n < a.N) ? a.scalesT[((long long)e * nb + b0 + b) * a.N + n0 + n] : 127;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < DQ_TILE * DQ_TILE; i += blockDim.x) {
    const int n = i / DQ_TILE, b = i % DQ_TILE;
    if (b0 + b >= nb || n0 + n >= a.N) continue;
    const long long blk = ((long long)e * a.N + n0 + n) * nb + b0 + b;
    const Mxfp4Lut t = mxfp4_lut(sc[b][n]);
    const uint4 w = __ldg((const uint4*)a.blocks + blk);
    const unsigned words[4] = {w.x, w.y, w.z, w.w};
    uint4* dst = (uint4*)(a.out + blk * 32);
#pragma unroll
    for (int q = 0; q < 4; q++) {
      unsigned o[4];
      mxfp4_word(words[q], t, o);
      dst[q] = make_uint4(o[0], o[1], o[2], o[3]);
    }
  }
}

// One block per sorted row; N = K here (bf16 values, 16 bytes at a time; K is a multiple of 8).
extern "C" __global__ void moe_gather_rows(MoeRowsArgs a) {
  pdl_begin();
  const int r = blockIdx.x;
  if (r >= a.rows) return;
  const long long src = (long long)(a.assign[r] / a.topK) * a.N, dst = (long long)r * a.N;
  const uint4* in = (const uint4*)((const bf16*)a.in + src);
  uint4* out = (uint4*)((bf16*)a.out + dst);
  for (int c = threadIdx.x; c < a.N / 8; c += blockDim.x) out[c] = in[c];
  if (a.inLo) {
    const uint4* inLo = (const uint4*)(a.inLo + src);
    uint4* outLo = (uint4*)(a.outLo + dst);
    for (int c = threadIdx.x; c < a.N / 8; c += blockDim.x) outLo[c] = inLo[c];
  }
}

// One block per sorted row: the gate_up product u [rows, N] (interleaved gate, up) -> act [rows, N/2].
extern "C" __global__ void moe_swiglu_rows(MoeRowsArgs a) {
  pdl_begin();
  const int r = blockIdx.x;
  if (r >= a.rows) return;
  const int e = a.expertIds[a.assign[r]], half = a.N / 2;
  const float2* u = (const float2*)((const float*)a.in + (long long)r * a.N);
  const float2* bias = (const float2*)(a.bias + (long long)e * a.N);
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    const float2 v = u[i], b = bias[i];
    store_hi_lo((bf16*)a.out, a.outLo, (long long)r * half + i, clamped_swiglu(v.x + b.x, v.y + b.y, a.limit));
  }
}

// One block per sorted row: the down product u [rows, N] plus bias -> y at the row's (t, j) slot.
extern "C" __global__ void moe_scatter_rows(MoeRowsArgs a) {
  pdl_begin();
  const int r = blockIdx.x;
  if (r >= a.rows) return;
  const int slot = a.assign[r], e = a.expertIds[slot];
  const float4* u = (const float4*)((const float*)a.in + (long long)r * a.N);
  const float4* bias = (const float4*)(a.bias + (long long)e * a.N);
  float4* y = (float4*)((float*)a.out + (long long)slot * a.N);
  for (int i = threadIdx.x; i < a.N / 4; i += blockDim.x) {
    const float4 v = u[i], b = bias[i];
    y[i] = make_float4(v.x + b.x, v.y + b.y, v.z + b.z, v.w + b.w);
  }
}
