// Checks bf16_gemv and its tensor-core twin bf16_gemv_tc (gemv_bf16.cu) against a float64 host reference
// at the projections' shapes (gpt-oss-20b qkv, o, router, LM head; small and odd ones), 1-4 rows, with and
// without the low part, and times both against cuBLAS's GemmEx as CudaBackend calls it (L2 evicted before
// every call by reading 256 MB: no dirty lines written back during the timed kernel).
//   nvcc -std=c++17 -arch=sm_90a -O3 -o /tmp/gemv_check native/src/test/cuda/gemv_check.cu -lcublas && /tmp/gemv_check
#include <cuda_runtime.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "../../main/cuda/gemv_bf16.cu"
#include "check_util.cuh"

// The few cuBLAS declarations used (cublas_v2.h is not on every build machine; link with -lcublas).
typedef struct cublasContext* cublasHandle_t;
extern "C" int cublasCreate_v2(cublasHandle_t* handle);
extern "C" int cublasGemmEx(cublasHandle_t, int transa, int transb, int m, int n, int k, const void* alpha, const void* A,
                            int Atype, int lda, const void* B, int Btype, int ldb, const void* beta, void* C, int Ctype,
                            int ldc, int computeType, int algo);
enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_COMPUTE_32F = 68, CUBLAS_GEMM_DEFAULT = -1 };


static int failures = 0;



struct Shape {
  const char* name;
  int N, K;
  bool time;
};

int main() {
  std::mt19937 rng(77);
  std::normal_distribution<float> nd(0.f, 1.f);
  cublasHandle_t blas;
  if (cublasCreate_v2(&blas) != 0) return 2;
  void* flush;
  const size_t flushBytes = 256u << 20;
  CK(cudaMalloc(&flush, flushBytes));
  const Shape shapes[] = {{"tiny", 80, 64, false},    {"odd", 37, 200, false},      {"router", 32, 2880, true},
                          {"o_proj", 2880, 4096, true}, {"qkv", 5120, 2880, true}, {"lm_head", 201088, 2880, true},
                          {"long_k", 64, 9216, false}};
  for (const Shape& s : shapes) {
    const int N = s.N, K = s.K, T = GB_MAX_ROWS;
    std::vector<unsigned short> w((size_t)N * K), xh((size_t)T * K), xl((size_t)T * K);
    for (auto& v : w) v = host_f2bf(nd(rng) * 0.05f);
    for (size_t i = 0; i < xh.size(); i++) {
      float v = nd(rng);
      xh[i] = host_f2bf(v);
      xl[i] = host_f2bf(v - host_bf2f(xh[i]));
    }
    unsigned short *dw, *dx, *dl;
    float* dout;
    CK(cudaMalloc(&dw, w.size() * 2));
    CK(cudaMalloc(&dx, xh.size() * 2));
    CK(cudaMalloc(&dl, xl.size() * 2));
    CK(cudaMalloc(&dout, (size_t)T * N * 4));
    CK(cudaMemcpy(dw, w.data(), w.size() * 2, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dx, xh.data(), xh.size() * 2, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dl, xl.data(), xl.size() * 2, cudaMemcpyHostToDevice));
    for (int precise = 0; precise < 2; precise++) {
      for (int rows = 1; rows <= T; rows++) {
        GemvArgs a{dw, dx, precise ? dl : nullptr, dout, rows, N, K};
        std::vector<double> ref((size_t)rows * N);
        for (int t = 0; t < rows; t++)
          for (int n = 0; n < N; n++) {
            double r = 0;
            for (int k = 0; k < K; k++) {
              double x = host_bf2f(xh[(size_t)t * K + k]) + (precise ? (double)host_bf2f(xl[(size_t)t * K + k]) : 0.0);
              r += (double)host_bf2f(w[(size_t)n * K + k]) * x;
            }
            ref[(size_t)t * N + n] = r;
          }
        for (int tc = 0; tc < 2; tc++) {
          CK(cudaMemset(dout, 0xff, (size_t)T * N * 4));  // NaN: unwritten outputs fail
          if (tc) bf16_gemv_tc<<<(N + 7) / 8, 256>>>(a);
          else bf16_gemv<<<(N + 7) / 8, 256>>>(a);
          CK(cudaGetLastError());
          CK(cudaDeviceSynchronize());
          std::vector<float> got((size_t)rows * N);
          CK(cudaMemcpy(got.data(), dout, got.size() * 4, cudaMemcpyDeviceToHost));
          double num = 0, den = 0;
          bool finite = true;
          for (size_t i = 0; i < got.size(); i++) {
            double g = got[i];
            if (!std::isfinite(g)) finite = false;
            num += (g - ref[i]) * (g - ref[i]);
            den += ref[i] * ref[i];
          }
          double rel = std::sqrt(num / std::max(den, 1e-30));
          // float32 sums over K <= 9,216 land near 1e-7; the tensor cores' sums of bf16 products a little
          // below float32 (moe_check measured ~2e-5 over K = 2,880 for its mma.sync kernels): 5e-5 there
          double tol = tc ? 5e-5 : 1e-5;
          bool pass = finite && rel < tol;
          failures += !pass;
          printf("KERNELCHECK gemv%s_%s_rows%d_%s %s N=%d K=%d rel_l2=%.3g tol=%.0g\n", tc ? "_tc" : "", s.name, rows,
                 precise ? "precise" : "fast", pass ? "PASS" : "FAIL", N, K, rel, tol);
        }
        if (!s.time || (rows != 1 && rows != 4)) continue;
        // timing: ours against cuBLAS (the lo product accumulated by a second GemmEx, as CudaBackend.gemm does)
        cudaEvent_t t0, t1;
        CK(cudaEventCreate(&t0));
        CK(cudaEventCreate(&t1));
        const float one = 1.f, zero = 0.f;
        float med[3];
        for (int which = 0; which < 3; which++) {
          std::vector<float> ms;
          for (int rep = 0; rep < 22; rep++) {
            l2_flush_read<<<528, 512>>>((const uint4*)flush, flushBytes / 16, (unsigned*)flush);
            CK(cudaEventRecord(t0));
            if (which == 0) {
              bf16_gemv<<<(N + 7) / 8, 256>>>(a);
            } else if (which == 2) {
              bf16_gemv_tc<<<(N + 7) / 8, 256>>>(a);
            } else {
              cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, N, rows, K, &one, dw, CUDA_R_16BF, K, dx, CUDA_R_16BF, K, &zero,
                           dout, CUDA_R_32F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
              if (precise)
                cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, N, rows, K, &one, dw, CUDA_R_16BF, K, dl, CUDA_R_16BF, K, &one,
                             dout, CUDA_R_32F, N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            }
            CK(cudaEventRecord(t1));
            CK(cudaEventSynchronize(t1));
            float m;
            CK(cudaEventElapsedTime(&m, t0, t1));
            if (rep >= 2) ms.push_back(m);
          }
          std::sort(ms.begin(), ms.end());
          med[which] = ms[ms.size() / 2] * 1e3f;
        }
        CK(cudaGetLastError());
        const double bytes = (double)N * K * 2;
        printf("TIMING gemv %-8s rows=%d %-7s bf16_gemv %7.1f us (%5.0f GB/s of weights)  bf16_gemv_tc %7.1f us (%5.0f GB/s)"
               "  cuBLAS %7.1f us (%5.0f GB/s)  tc/cuBLAS %.2fx\n", s.name, rows, precise ? "precise" : "fast", med[0],
               bytes / (med[0] * 1e-6) / 1e9, med[2], bytes / (med[2] * 1e-6) / 1e9, med[1], bytes / (med[1] * 1e-6) / 1e9,
               med[1] / med[2]);
        cudaEventDestroy(t0);
        cudaEventDestroy(t1);
      }
    }
    cudaFree(dw);
    cudaFree(dx);
    cudaFree(dl);
    cudaFree(dout);
  }
  printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
