// The sm_90a (Hopper) building blocks of the wgmma expert GEMMs of moe_gemm_wgmma.cu (template moe_wgmma_tile):
// tile constants, the dynamic shared memory of moe_wgmma_tile, and, where the build targets sm_90a (MOE_WGMMA_ENABLED), the mbarrier wait,
// setmaxnreg, the producers' named barrier and the m64n128 / m64n256 bf16 wgmma with shared-memory operands (the
// layouts and descriptors: moe_gemm_wgmma.cu's header comment). NVRTC gets it as a named header beside
// gptoss_kernels.h (KernelCompiler.HEADERS).
#pragma once
#include "gptoss_kernels.h"

#define WG_BM 128   // rows per tile of the production entries (two consumer warpgroups of 64)
#define WG_BK 64    // k per step: one 128-byte line of bf16 per row
#define WG_LDQ 32   // raw nibble row pitch in bytes (thread i reads bytes 16i .. 16i+15: conflict-free)
// Dynamic shared memory of template <BN, LS, PW, CW>: LS x (A [64 CW rows][128 B] (twice with aLo) + nibbles
// [BN][32 B] + scales [2][BN]) + two unpacked tiles [BN][128 B] + 1024 for aligning the base to the 128-byte
// swizzle's 1024-byte atom. Production (128, 4, CW 2): 116,736 bytes fast, 182,272 precise (+1,104 static),
// one CTA per SM.
#define MOE_WGMMA_SMEM_CW(bn, ls, cw, precise) \
  ((ls) * (((precise) ? 2 : 1) * 64 * (cw) * 128 + (bn) * WG_LDQ + 2 * (bn)) + 2 * (bn) * 128 + 1024)
#define MOE_WGMMA_SMEM_T(bn, ls, precise) MOE_WGMMA_SMEM_CW(bn, ls, WG_BM / 64, precise)
#define MOE_WGMMA_SMEM(precise) MOE_WGMMA_SMEM_T(128, 4, precise)

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define MOE_WGMMA_ENABLED 1

// Waits until that phase has completed. Built with -DWG_HANG_CHECK (moe_check.cu can be), a wait
// that lasts about a second prints the barrier and traps instead of hanging.
__device__ __forceinline__ void mbar_wait(unsigned bar, unsigned parity) {
#ifdef WG_HANG_CHECK
  long long tries = 0;
  while (!mbar_try(bar, parity))
    if (++tries == (1ll << 24)) {
      printf("wgmma gemm hang: block (%d,%d) thread %d barrier smem 0x%x parity %u\n", blockIdx.x, blockIdx.y,
             threadIdx.x, bar, parity);
      __trap();
    }
#else
  while (!mbar_try(bar, parity)) {
  }
#endif
}
// Per-thread register limit of the executing warpgroup, raised or lowered to N (a multiple of 8 in
// [24, 256]): registers move between the warpgroup and the CTA's pool (whose size is the launch's
// registers per thread x threads); an increase waits until the pool has them.
template <int N>
__device__ __forceinline__ void regs_dec() { asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(N)); }
template <int N>
__device__ __forceinline__ void regs_inc() { asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(N)); }
// Named barrier 1 among the `n` producer threads.
__device__ __forceinline__ void producers_sync(int n) { asm volatile("bar.sync 1, %0;\n" ::"r"(n) : "memory"); }
// D (64 x N, float32) += A (64 x 16 from desc da) * B (N x 16 from desc db)^T, bf16 operands.
__device__ __forceinline__ void wgmma_m64n128k16(float (&d)[64], unsigned long long da, unsigned long long db) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
      "{"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
      "}, %64, %65, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "l"(da), "l"(db), "r"(1));
}

__device__ __forceinline__ void wgmma_m64n256k16(float (&d)[128], unsigned long long da, unsigned long long db) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
      "{"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
      "}, %128, %129, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
        "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
        "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
        "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
        "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
        "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
        "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
        "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
        "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
      : "l"(da), "l"(db), "r"(1));
}

template <int BN_>
__device__ __forceinline__ void wgmma_bn(float (&d)[BN_ / 2], unsigned long long da, unsigned long long db);
template <>
__device__ __forceinline__ void wgmma_bn<128>(float (&d)[64], unsigned long long da, unsigned long long db) { wgmma_m64n128k16(d, da, db); }
template <>
__device__ __forceinline__ void wgmma_bn<256>(float (&d)[128], unsigned long long da, unsigned long long db) { wgmma_m64n256k16(d, da, db); }
// One k16 slice of a 64 x BN_ product: A (64 rows) at shared address a, B (BN_ rows) at b, both 128-byte
// swizzled K-major. HALVES_: as two m64n128 (B rows 0-127 into d[0..63], rows 128-255 into d[64..127]:
// m64n256's accumulator layout), for launches whose even register share cannot hold one m64n256:
// ptxas compiles each instruction within the entry register count, whatever setmaxnreg grants later
// (at 512 threads: "C7602 Insufficient registers (128) ... register target of 154").
template <int BN_, bool HALVES_>
__device__ __forceinline__ void wgmma_slice(float (&d)[BN_ / 2], unsigned a, unsigned b) {
  if constexpr (HALVES_) {
    static_assert(BN_ == 256, "halves of an m64n256");
    wgmma_m64n128k16(*reinterpret_cast<float(*)[64]>(&d[0]), wgmma_desc_sw128(a), wgmma_desc_sw128(b));
    wgmma_m64n128k16(*reinterpret_cast<float(*)[64]>(&d[64]), wgmma_desc_sw128(a), wgmma_desc_sw128(b + 128 * 128));
  } else {
    wgmma_bn<BN_>(d, wgmma_desc_sw128(a), wgmma_desc_sw128(b));
  }
}

// The pieces of a tile: its rows, the producers' copies of a step, the unpack of one MXFP4 block, the epilogue.
// A tile's rows: rowDst[i] = the (t, j) slot of sorted row r0 + i, rowSrc[i] = the row of A it reads (mode 0 gathers
// h[slot / k], mode 1 reads act[r]); -1 past the tile's end. Thread tid < tileM fills entry tid.
__device__ __forceinline__ void wgmma_tile_rows(const MoeGemmArgs& a, int r0, int r1, int tid, int* rowSrc, int* rowDst) {
  int r = r0 + tid;
  int dst = r < r1 ? a.assign[r] : -1;
  rowDst[tid] = dst;
  rowSrc[tid] = r < r1 ? (a.mode == 0 ? dst / a.topK : r) : -1;
}
// One producer thread's (p of P) copies of a 64-deep step (cp.async, zeros past the ends) into its ring slot: the
// tile's A rows (chunk id = 8 row + c, 128-byte swizzled; the low part too when aLoSlot is not 0), the weights' nibbles
// (id = 2 row + half, BN rows x 32 bytes) and their scales (2 blocks x BN bytes, threads p < BN / 8).
template <int P, int AC>
__device__ __forceinline__ void wgmma_copy_rows(const MoeGemmArgs& a, const int* rowSrc, int p, int step, unsigned aSlot,
                                                unsigned aLoSlot, bool precise) {
#pragma unroll
  for (int i = 0; i < AC; i++) {
    const int id = p + i * P, row = id >> 3, c = id & 7, src = rowSrc[row];
    const int k = step * WG_BK + c * 8;
    const bool ok = src >= 0 && k < a.K;
    const long long off = ok ? (long long)src * a.K + k : 0;
    const unsigned dst = row * 128 + ((c ^ (row & 7)) << 4);
    cp_async16(aSlot + dst, a.a + off, ok);
    if (precise) cp_async16(aLoSlot + dst, a.aLo + off, ok);
  }
}
template <int P, int QC>
__device__ __forceinline__ void wgmma_copy_nibbles(const MoeGemmArgs& a, int p, long long expertRow, int n0, int nb, int step,
                                                   unsigned qSlot) {
#pragma unroll
  for (int i = 0; i < QC; i++) {
    const int id = p + i * P, row = id >> 1, half = id & 1;
    const bool ok = n0 + row < a.N && step * 2 + half < nb;
    const u8* g = ok ? a.blocks + ((expertRow + n0 + row) * nb + half) * 16 + step * 32 : a.blocks;
    cp_async16(qSlot + id * 16, g, ok);
  }
}
template <int BN_>
__device__ __forceinline__ void wgmma_copy_scales(const MoeGemmArgs& a, int p, int e, int n0, int nb, int step, unsigned sSlot) {
  if (p < 2 * BN_ / 16) {
    int half = p / (BN_ / 16), chunk = p % (BN_ / 16);
    int blk = step * 2 + half, n = n0 + chunk * 16;
    bool ok = blk < nb && n < a.N;
    const u8* g = ok ? a.scalesT + ((long long)e * nb + blk) * a.N + n : a.scalesT;
    cp_async16(sSlot + half * BN_ + chunk * 16, g, ok);
  }
}
// One MXFP4 block (16 bytes of nibbles at q, its E8M0 scale byte at s: 32 k values) of weight row `row` into its line of
// an unpacked bf16 tile (128-byte swizzled, K-major; line = the row's 128 bytes), as the half-th 32 of its 64 k values.
__device__ __forceinline__ void wgmma_unpack_block(const unsigned char* q, const unsigned char* s, unsigned char* line, int row,
                                                   int half) {
  const uint4 raw = *(const uint4*)q;
  const Mxfp4Lut lut = mxfp4_lut(*s);
  const unsigned w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
  for (int i = 0; i < 4; i++) {
    unsigned o[4];
    mxfp4_word(w[i], lut, o);
    const int c = half * 4 + i;  // 16-byte chunk of k values 8c .. 8c+7
    *(uint4*)(line + ((c ^ (row & 7)) << 4)) = make_uint4(o[0], o[1], o[2], o[3]);
  }
}
// Epilogue of consumer warpgroup wg (warp, lane): bias, then mode 0 the clamped SwiGLU into act (sorted rows), mode 1
// the product into y at the row's (t, j) slot. acc[4j + q]: rows wg*64 + 16 warp + lane/4 (+8 for q >= 2), columns
// 8j + 2 (lane % 4) (+1): the m64nN accumulator layout, mma.sync's m16n8 C fragment repeated.
// SB_: the tile's BN_ biases come from shared memory (tileBias, staged by moe_wgmma_tile before its mainloop) instead of
// global memory. The global reads cannot move above the stores of earlier columns (out may alias bias for the
// compiler), so each of the 2 x BN_ / 8 columns waited on its own L2 round trip: at decode-1024 on an H100 the epilogue
// held 22-23% of the stall samples of the 256-feature kernel, most of them on the FADD after that load (2026-12-08).
template <int BN_, bool SB_ = false>
__device__ __forceinline__ void wgmma_epilogue(const MoeGemmArgs& a, const float (&acc)[BN_ / 2], const int* rowDst, int e,
                                               int r0, int n0, int wg, int warp, int lane, const float* tileBias = nullptr) {
  const int g = lane >> 2, tig = lane & 3;
  const float* bias = a.bias + (long long)e * a.N;
#pragma unroll
  for (int half = 0; half < 2; half++) {
    const int row = wg * 64 + warp * 16 + g + half * 8;
    const int dst = rowDst[row];
    if (dst < 0) continue;
#pragma unroll
    for (int j = 0; j < BN_ / 8; j++) {
      const int n = n0 + j * 8 + 2 * tig;
      if (n >= a.N) continue;
      float b0, b1;
      if constexpr (SB_) {
        const float2 b = *(const float2*)(tileBias + j * 8 + 2 * tig);
        b0 = b.x;
        b1 = b.y;
      } else {
        b0 = bias[n];
        b1 = bias[n + 1];
      }
      const float u0 = acc[4 * j + half * 2] + b0;
      const float u1 = acc[4 * j + half * 2 + 1] + b1;
      if (a.mode == 0) {
        store_hi_lo((bf16*)a.out, a.outLo, (long long)(r0 + row) * (a.N / 2) + n / 2, clamped_swiglu(u0, u1, a.limit));
      } else {
        *(float2*)((float*)a.out + (long long)dst * a.N + n) = make_float2(u0, u1);
      }
    }
  }
}
#endif  // sm_90a
