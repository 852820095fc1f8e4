// Shared definitions of the gpt-oss CUDA kernels: bf16 helpers and one argument struct per kernel.
//
// Every kernel takes exactly one argument, a struct defined here, passed by value. The Java side has
// one record per struct (ai.gptoss.backend.cuda.KernelStruct: the same fields by name and order, natural alignment:
// pointers first, 8 bytes each, then 4-byte ints and floats), checked at kernel load against layout.cu's layout
// and in CI (KernelNvrtcTest) against nvcc's. A field added here goes into the record and layout.cu's GL_STRUCT.
// Built by NVRTC at run time (no system headers) and by nvcc in CI (sm_80, sm_90a).
#pragma once

typedef unsigned short bf16;   // bfloat16 bits
typedef unsigned char u8;

// Programmatic dependent launch (sm_90+; Kernels.java launches every kernel with programmatic stream
// serialization there unless GPTOSS_CUDA_PDL=0): a kernel may then be scheduled while the previous
// kernel of the stream is still running. pdl_trigger lets the next kernel's blocks be scheduled as
// soon as every block of this one has called it; pdl_wait returns once the previous kernel has
// completed and its writes are visible (at once without such a launch). A kernel reads nothing that
// an earlier kernel writes, and writes nothing, before pdl_wait; what it reads before (weights)
// overlaps the previous kernel. Waiting is transitive: a kernel that waited sees every earlier kernel's writes.
__device__ __forceinline__ void pdl_trigger() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

// The start of a kernel with nothing to read ahead: let the next kernel launch, then wait for the previous.
__device__ __forceinline__ void pdl_begin() {
  pdl_trigger();
  pdl_wait();
}

__device__ __forceinline__ float bf2f(bf16 v) { return __uint_as_float(((unsigned)v) << 16); }

// Round to nearest even; NaN stays NaN.
__device__ __forceinline__ bf16 f2bf(float f) {
  unsigned u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16)0x7fc0;
  u += 0x7fffu + ((u >> 16) & 1u);
  return (bf16)(u >> 16);
}

// KV cache element (KvFormat.java): bf16 by default (half the memory and bandwidth); float32 with
// -DGPTOSS_KV_F32 (precision exact), which stores K and V exactly as the pure-Java reference does;
// FP8 E4M3 with -DGPTOSS_KV_FP8 (GPTOSS_KV_CACHE_DTYPE=fp8: vLLM's kv_cache_dtype "fp8" with scale
// 1, a quarter of float32), rounded to nearest even and saturated to +-448 (Fp8E4M3.java is the twin).
#if defined(GPTOSS_KV_F32)
typedef float kv_t;
__device__ __forceinline__ kv_t to_kv(float f) { return f; }
#elif defined(GPTOSS_KV_FP8)
typedef unsigned char kv_t;
__device__ __forceinline__ kv_t to_kv(float f) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  unsigned short r;
  asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;\n" : "=h"(r) : "f"(0.f), "f"(f));  // f -> the low byte
  return (kv_t)(r & 0xffu);
#else
  __trap();  // CudaBackend refuses the FP8 cache below sm_89
  return 0;
#endif
}
#else
typedef bf16 kv_t;
__device__ __forceinline__ kv_t to_kv(float f) { return f2bf(f); }
#endif

// Hopper's asynchronous building blocks, shared by the wgmma expert kernels (moe_gemm_wgmma.cu,
// moe_gemm_swap.cu): shared-memory addresses, cp.async, mbarriers, the async-proxy fence and wgmma's
// fence / commit / wait. Each kernel keeps its own barrier wait (their hang checks differ).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && defined(__CUDA_ARCH_FEAT_SM90_ALL)
__device__ __forceinline__ unsigned smem_u32(const void* p) {
  unsigned s;
  asm volatile("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }\n" : "=r"(s) : "l"(p));
  return s;
}
// 16 bytes global -> shared, zeros when !valid.
__device__ __forceinline__ void cp_async16(unsigned s, const void* gmem, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(valid ? 16 : 0) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int n>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(n) : "memory"); }
__device__ __forceinline__ void mbar_init(unsigned bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive(unsigned bar) {
  asm volatile("{ .reg .b64 st; mbarrier.arrive.shared::cta.b64 st, [%0]; }\n" ::"r"(bar) : "memory");
}
// Whether the phase of parity `parity` of the barrier has completed (waits a bounded time first).
__device__ __forceinline__ bool mbar_try(unsigned bar, unsigned parity) {
  unsigned done;
  asm volatile(
      "{\n.reg .pred p;\n"
      "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
      "selp.u32 %0, 1, 0, p;\n}\n"
      : "=r"(done)
      : "r"(bar), "r"(parity)
      : "memory");
  return done != 0;
}
// The calling thread's ordinary shared-memory writes (st.shared, completed cp.async) become visible to
// the async proxy (wgmma operands).
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int n>
__device__ __forceinline__ void wgmma_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(n) : "memory"); }
// Keeps the compiler from moving accumulator reads / writes across the asynchronous wgmma.
template <int n>
__device__ __forceinline__ void wgmma_fence_regs(float (&d)[n]) {
#pragma unroll
  for (int i = 0; i < n; i++) asm volatile("" : "+f"(d[i])::"memory");
}
// Shared-memory matrix descriptor: K-major, 128-byte swizzle, 8-row groups 1,024 bytes apart.
__device__ __forceinline__ unsigned long long wgmma_desc_sw128(unsigned addr) {
  return (unsigned long long)((addr & 0x3FFFF) >> 4) | (1ull << 16) | (64ull << 32) | (1ull << 62);
}
#endif

// An activation handed to the next tensor-core product: hi[i] = bf16(v), and with lo (the precise
// modes) lo[i] = bf16(v - hi[i]), so that hi + lo carries about 16 mantissa bits.
__device__ __forceinline__ void store_hi_lo(bf16* hi, bf16* lo, long long i, float v) {
  bf16 h = f2bf(v);
  hi[i] = h;
  if (lo) lo[i] = f2bf(v - bf2f(h));
}

// gpt-oss's clamped SwiGLU of one gate/up pair (u = the gate_up product with bias, interleaved):
// gate = min(gate, limit); up = clamp(up, -limit, limit); act = gate * sigmoid(1.702 gate) * (up + 1).
__device__ __forceinline__ float clamped_swiglu(float gate, float up, float limit) {
  gate = fminf(gate, limit);
  up = fminf(fmaxf(up, -limit), limit);
  return gate / (1.f + expf(-1.702f * gate)) * (up + 1.f);
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// ---- embedding.cu ----
struct EmbedArgs {
  const bf16* table;   // [vocabTo - vocabFrom, H]: the vocabulary rows [vocabFrom, vocabTo)
  const int* tokens;   // [T]
  float* x;            // [T, H] residual stream, written; zeros for a token outside the rows (summed over ranks)
  int numTokens;
  int hidden;
  int vocabFrom;       // 0 on one GPU; a CUDA rank's first vocabulary row
  int vocabTo;         // V on one GPU
};

// ---- rmsnorm.cu ----
struct RmsNormArgs {
  float* x;            // [T, H] residual stream
  const float* delta;  // [T, H] added to x first (with bias) when not null
  const float* bias;   // [H] added with delta when not null
  const float* weight; // [H]
  const int* rows;     // [numRows] rows of x to normalize (null: row r is r)
  bf16* out;           // [numRows, H]
  bf16* outLo;         // [numRows, H] low part (value - out), or null
  const float* moeY;   // [T*k, H] the experts' outputs added to x first when not null (moe_combine folded in)
  const float* moeWeights; // [T, k] their routing weights
  int numRows;
  int hidden;
  float eps;
  int moeK;            // k of moeY
};

// ---- rope.cu ----
struct QkvRopeArgs {
  const float* qkv;      // [T, (heads + 2 kvHeads) * headDim] projection output without bias
  const float* bias;     // [(heads + 2 kvHeads) * headDim]
  const float* invFreq;  // [headDim / 2] YaRN inverse frequencies
  const int* positions;  // [T]
  const int* tokenSeq;   // [T] sequence of each token
  const int* pageTable;  // [numSeqs, maxPages] page ids of this attention type (-1 unmapped)
  float* q;              // [T, heads * headDim] rotated queries, written
  kv_t* kvPool;          // pages [page][layerOfType][k|v]: K [slot][kvDim], V transposed [kvHead][headDim][slot]
  int numTokens;
  int heads;
  int kvHeads;
  int headDim;
  int pageSize;
  int maxPages;
  int layers;            // layers of this attention type (a page holds all of them)
  int layerOfType;
  float attentionFactor; // YaRN scale on cos and sin
};

// ---- attention.cu ----
struct AttentionArgs {
  const float* q;        // [T, heads * headDim]
  const kv_t* kvPool;    // as in QkvRopeArgs
  const int* pageTable;  // [numSeqs, maxPages]
  const float* sinks;    // [heads]
  const int* positions;  // [T]
  const int* items;      // [numItems, 3]: sequence, first token, token count (consecutive positions)
  bf16* out;             // [T, heads * headDim]
  bf16* outLo;           // [T, heads * headDim] low part, or null
  float* partials;       // attention_mma with splits > 1: [splits, kvHeads, tasks, 16 rows, headDim + 2]
  int numItems;
  int heads;
  int kvHeads;
  int headDim;           // <= 64
  int pageSize;
  int maxPages;
  int layers;
  int layerOfType;
  int window;            // sliding window in tokens, 0 for full attention
  float scale;           // 1 / sqrt(headDim)
  int splits;            // attention_mma: key-range splits (1: no partials, output written directly)
  int warpsPerItem;      // attention_mma: warps (16-row tasks) per work item
};

// ---- moe_route.cu ----
struct MoeRouteArgs {
  const float* logits;   // [T, E] router logits without bias
  const float* bias;     // [E]
  int* expertIds;        // [T, k] chosen experts, best first
  float* weights;        // [T, k] softmax over the chosen logits
  int* counts;           // [E] assignments per expert (zeroed before), incremented
  int numTokens;
  int experts;
  int k;
};

struct MoeGroupArgs {
  const int* counts;     // [E]
  int* cursor;           // [E] set to each expert's first sorted row
  int* tiles;            // [maxTiles, 3]: expert, first sorted row, end row
  int* numTiles;         // [1]
  int experts;
  int tileM;
  int maxTiles;
  int firstExpert;       // the experts whose weights this device holds: [firstExpert, firstExpert + heldExperts);
  int heldExperts;       // tiles only for them, naming e - firstExpert (all: 0, experts). Expert parallel ranks.
  // GPTOSS_CUDA_MOE_TAILS=on (wide steps; tailRows 0: off, the tail fields unused): an expert whose last tileM-row tile
  // would hold 1..tailRows rows gets only its whole tiles in `tiles`, and that last part in `tailTiles`, cut in tiles of
  // tailTileM rows (the tensor-core gemv's). ForwardPass passes tailRows = MOE_TAIL_ROWS (ExpertGemmPlan.TAIL_ROWS).
  int* tailTiles;        // [maxTailTiles, 3]
  int* numTailTiles;     // [1]
  int tailRows;
  int tailTileM;
  int maxTailTiles;
};
#define MOE_TAIL_ROWS 32

struct MoeScatterArgs {
  const int* expertIds;  // [T, k]
  int* cursor;           // [E] from MoeGroupArgs, advanced
  int* assign;           // [T * k] sorted row -> t * k + j
  int numAssignments;    // T * k
};

// moe_route_small: MoeRouteArgs + MoeGroupArgs + MoeScatterArgs in one launch (T * k <= 256, E <= 256).
struct MoeRouteSmallArgs {
  const float* logits;   // [T, E] router logits without bias
  const float* bias;     // [E]
  int* expertIds;        // [T, k] chosen experts, best first
  float* weights;        // [T, k] softmax over the chosen logits
  int* tiles;            // [maxTiles, 3]: expert, first sorted row, end row
  int* numTiles;         // [1]
  int* assign;           // [T * k] sorted row -> t * k + j
  int numTokens;
  int experts;
  int k;
  int tileM;
  int maxTiles;
  int firstExpert;       // as MoeGroupArgs: tiles only for the held experts, named e - firstExpert
  int heldExperts;
};

// ---- gemv_bf16.cu ----
struct GemvArgs {
  const bf16* w;         // [N, K] the model's weights (row n: output feature n), read before pdl_wait
  const bf16* x;         // [rows, K] activations (bf16, or their high part)
  const bf16* xLo;       // [rows, K] their low part, or null
  float* out;            // [rows, N]
  int rows;              // at most GB_MAX_ROWS (4)
  int N;
  int K;                 // a multiple of 8
};

// ---- moe_gemm.cu, moe_gemv.cu ----
struct MoeGemmArgs {
  const bf16* a;         // gate_up: h [T, K]; down: act [T*k, K] in sorted-row order (bf16, or its high part)
  const bf16* aLo;       // the low part (a - bf16(a)) of the same rows, or null: one bf16 product only
  const int* assign;     // [T*k] sorted row -> t*k + j
  const int* tiles;      // from MoeGroupArgs
  const int* numTiles;
  const u8* blocks;      // [E, N, K/32, 16] MXFP4 nibbles
  const u8* scalesT;     // [E, K/32, N] E8M0, transposed at load so a tile's scales are contiguous
  const float* bias;     // [E, N]
  void* out;             // gate_up: act bf16 [T*k, N/2]; down: y float [T*k, N] indexed by t*k+j
  bf16* outLo;           // gate_up with aLo: the low part of act; else null
  int topK;
  int K;                 // input features (multiple of 32)
  int N;                 // output features of one expert (multiple of 16)
  int mode;              // 0: gate_up with clamped SwiGLU; 1: down projection
  float limit;           // swiglu_limit
};
// The epilogue of the gemv-shaped expert kernels (moe_gemv_tc.cu, moe_gemv_split.cu): lane (g, t) holds c[0], c[1] =
// feature n of tile rows 2t, 2t + 1 (sorted rows r0 + r), c[2], c[3] = feature n + 1; dst[r]: tile row r's t*k + j.
__device__ __forceinline__ void moe_store_fragment(const MoeGemmArgs& a, int e, int n, int r0, int R, int t,
                                                   const float (&c)[4], const int* dst) {
  const float* bias = a.bias + (long long)e * a.N;
  const float b0 = bias[n], b1 = bias[n + 1];
#pragma unroll
  for (int j = 0; j < 2; j++) {
    const int r = 2 * t + j;
    if (r >= R) break;
    if (a.mode == 0) {  // gate_up: clamped SwiGLU into act (hi, lo)
      store_hi_lo((bf16*)a.out, a.outLo, (long long)(r0 + r) * (a.N / 2) + n / 2, clamped_swiglu(c[j] + b0, c[j + 2] + b1, a.limit));
    } else {
      *(float2*)((float*)a.out + (long long)dst[r] * a.N + n) = make_float2(c[j] + b0, c[j + 2] + b1);
    }
  }
}

// ---- moe_dense.cu (the expert products of large steps through cuBLAS) ----
struct Mxfp4DequantArgs {
  const u8* blocks;      // [E, N, K/32, 16] MXFP4 nibbles
  const u8* scalesT;     // [E, K/32, N] E8M0
  bf16* out;             // [E, N, K] bf16: E2M1 x 2^(scale - 127)
  int experts;
  int N;
  int K;
};

struct MoeRowsArgs {
  const int* assign;     // [T*k] sorted row -> t*k + j
  const int* expertIds;  // [T*k] expert of (t, j)
  const void* in;        // gather: h [T, K] bf16; swiglu: u [T*k, N] f32; scatter: u [T*k, N] f32 (sorted rows)
  const bf16* inLo;      // gather: the low part of h, or null
  const float* bias;     // [E, N] (swiglu, scatter)
  void* out;             // gather: [T*k, K] bf16 sorted rows; swiglu: act [T*k, N/2] bf16; scatter: y [T*k, N] f32 at t*k+j
  bf16* outLo;           // gather / swiglu: the low part, or null
  int rows;              // T*k
  int topK;
  int N;                 // features per row (gather: K)
  float limit;           // swiglu_limit
};

// MXFP4 -> bf16 in registers (the 8-row moe_gemv; moe_check.cu compares it with mxfp4_word). Byte j of a 32-bit word of nibbles holds
// two consecutive k values, the low nibble first (the checkpoint's order). One multiply moves the
// nibbles into place: the E2M1 bits (sign s, exponent e1 e0, mantissa m) land at bf16 bits 15, 8..7, 6,
// so the bf16 value is exactly E2M1 x 2^-126 (e = 0 codes are the subnormals 0 and 0.5 x 2^-126).
__device__ __forceinline__ unsigned mxfp4_pair_raw(unsigned w, int j) {
  unsigned y = ((w >> (8 * j)) & 0xffu) * 0x40040u;  // low nibble at bits 6..9, high nibble at 22..25
  return (y & 0x01c001c0u) | ((y << 6) & 0x80008000u);
}

// x * y per bf16 half, rounded to nearest; exact when the product of two bf16 values is a normal
// bf16 (both factors below are powers of two or E2M1 values). moe_check.cu tests all 16 codes x scales.
__device__ __forceinline__ unsigned bf16x2_mul(unsigned x, unsigned y) {
  unsigned r;
  asm("fma.rn.bf16x2 %0, %1, %2, %3;\n" : "=r"(r) : "r"(x), "r"(y), "r"(0x80008000u));
  return r;
}

#define MXFP4_2P126 0x7e807e80u  // bf16x2 (2^126, 2^126)

// Four E4M3 bytes (KV cache, low byte first) -> two bf16 pairs, exactly: sign to bit 15 and the 7
// exponent+mantissa bits to bits 10..4 give bf16 bits worth value x 2^-120 for normals (1.m x 2^(e-127)
// against 1.m x 2^(e-7)) and subnormals alike (0.m x 2^-126 against 0.m x 2^-6); one bf16 multiply by
// 2^120 restores them. lo = values 0 and 1, hi = values 2 and 3.
#define E4M3_2P120 0x7b807b80u  // bf16x2 (2^120, 2^120)
__device__ __forceinline__ void e4m3x4_to_bf16x4(unsigned w, unsigned& lo, unsigned& hi) {
  const unsigned a = __byte_perm(w, 0, 0x4140), b = __byte_perm(w, 0, 0x4342);  // bytes 0,1 / 2,3 in 16-bit halves
  lo = bf16x2_mul(((a & 0x00800080u) << 8) | ((a & 0x007f007fu) << 4), E4M3_2P120);
  hi = bf16x2_mul(((b & 0x00800080u) << 8) | ((b & 0x007f007fu) << 4), E4M3_2P120);
}

// bf16x2 of the scale 2^(s - 127) for an E8M0 byte s.
__device__ __forceinline__ unsigned mxfp4_scale2(unsigned s) { return (s << 7) | (s << 23); }

// Byte j of w -> bf16x2 of (E2M1 x 2^(s - 127)) for k = 2j, 2j+1: exact for s in [2, 252].
__device__ __forceinline__ unsigned mxfp4_pair(unsigned w, int j, unsigned scale2) {
  return bf16x2_mul(bf16x2_mul(mxfp4_pair_raw(w, j), MXFP4_2P126), scale2);
}

// The same values through byte-permute lookups, the block scale folded into the tables: fewer
// instructions per value (about 2.6 against 3.75), no subnormals. mxfp4_lut(s) builds the bf16 bits
// of the 8 magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6 times 2^(s - 127) (code 0 stays +0) as four
// byte tables; mxfp4_word(w, lut, out) turns a 32-bit word of 8 nibbles into 4 bf16x2 registers,
// out[j] = values 2j (low half) and 2j+1, as mxfp4_pair(w, j, .). Exact for s in [2, 252]: every
// scaled magnitude is a normal bf16 and the integer add of (s - 127) << 7 to the exponent field
// neither borrows nor carries between the 16-bit halves (each half stays in 0x80..0x7f80).
struct Mxfp4Lut {
  unsigned hi0, hi1, lo0, lo1;  // high / low bytes of codes 0-3 and 4-7
};

__device__ __forceinline__ Mxfp4Lut mxfp4_lut(unsigned s) {
  const int adj = ((int)s - 127) << 7;
  const unsigned both = (unsigned)(adj * 65537);          // adj in each half
  const unsigned p01 = 0x3f000000u + ((unsigned)adj << 16);  // codes 0 (kept 0) and 1 (0.5)
  const unsigned p23 = 0x3fc03f80u + both;                  // 1, 1.5
  const unsigned p45 = 0x40404000u + both;                  // 2, 3
  const unsigned p67 = 0x40c04080u + both;                  // 4, 6
  Mxfp4Lut t;
  t.hi0 = __byte_perm(p01, p23, 0x7531);
  t.lo0 = __byte_perm(p01, p23, 0x6420);
  t.hi1 = __byte_perm(p45, p67, 0x7531);
  t.lo1 = __byte_perm(p45, p67, 0x6420);
  return t;
}

__device__ __forceinline__ void mxfp4_word(unsigned w, const Mxfp4Lut& t, unsigned (&out)[4]) {
  const unsigned m = w & 0x77777777u, mb = m >> 16;  // magnitudes; prmt reads 4 selectors at a time
  const unsigned ha = __byte_perm(t.hi0, t.hi1, m), la = __byte_perm(t.lo0, t.lo1, m);
  const unsigned hb = __byte_perm(t.hi0, t.hi1, mb), lb = __byte_perm(t.lo0, t.lo1, mb);
  const unsigned x = w << 4;  // byte i of x has the sign of value 2i at bit 7; byte i of w, of 2i+1
  out[0] = __byte_perm(la, ha, 0x5140) | (__byte_perm(x, w, 0x4000) & 0x80008000u);
  out[1] = __byte_perm(la, ha, 0x7362) | (__byte_perm(x, w, 0x5010) & 0x80008000u);
  out[2] = __byte_perm(lb, hb, 0x5140) | (__byte_perm(x, w, 0x6020) & 0x80008000u);
  out[3] = __byte_perm(lb, hb, 0x7362) | (__byte_perm(x, w, 0x7030) & 0x80008000u);
}

// ---- moe_combine.cu ----
struct MoeCombineArgs {
  float* x;              // [T, H] residual stream, added to
  const float* y;        // [T*k, H]
  const float* weights;  // [T, k]
  int numTokens;
  int hidden;
  int k;
};

// ---- sampling.cu ----
struct SampleArgs {
  const float* logits;   // [R, V]
  const float* params;   // [R, 4]: temperature, top_p, top_k (as float), u in [0,1)
  int* sampled;          // [R]
  const unsigned long long* masks;  // [slots, maskWords] token bitsets (bit t%64 of word t/64: t allowed), or null
  const int* maskSlots;  // [R] the row's slot in masks, -1 for an unconstrained row; null when no row is
  int numRows;
  int vocab;
  int maskWords;         // words per mask: ceil(vocab / 64)
};

// ---- synthetic.cu ----
struct FillArgs {
  void* dst;
  long long count;       // elements
  int kind;              // 0: bf16 ~ N(0, scale^2)-ish; 1: random bytes; 2: bytes offset + (0..2); 3: float offset + scale*U(-1,1)
  unsigned seed;
  float scale;
  float offset;
};
