// The layout of the kernel argument structs of gptoss_kernels.h as this compiler lays them out, for
// the Java side to compare with its records (KernelStruct.java) at kernel load (KernelLayout.java reads
// these globals through cuModuleGetGlobal) and in CI (KernelNvrtcTest reads them from NVRTC's PTX).
// For each struct S launched from Java:
//   gptoss_layout_S: sizeof(S), then for each field in declaration order its offset and its kind
//                    (1 pointer, 2 int or unsigned, 3 float, 4 long long, 0 anything else);
//   gptoss_fields_S: the field names, comma-separated, as written in GL_STRUCT below.
// GL_STRUCT takes each struct's fields once; KernelNvrtcTest checks that they are all of the
// header's fields, in order, so that a field added to the header and not here fails CI.
#include "gptoss_kernels.h"

template <class T> struct gl_kind { static constexpr long long value = 0; };
template <class T> struct gl_kind<T*> { static constexpr long long value = 1; };
template <> struct gl_kind<int> { static constexpr long long value = 2; };
template <> struct gl_kind<unsigned> { static constexpr long long value = 2; };
template <> struct gl_kind<float> { static constexpr long long value = 3; };
template <> struct gl_kind<long long> { static constexpr long long value = 4; };

// offsetof without <cstddef>: NVRTC knows no __builtin_offsetof; __INTADDR__ (the EDG front end's, in NVRTC and
// nvcc alike) makes the member's address from a null struct pointer a constant, so the tables are static data.
#define GL_OFFSET(S, f) (long long)__INTADDR__(&(((S*)0)->f))
#define GL_FIELD(S, f) GL_OFFSET(S, f), gl_kind<decltype(S::f)>::value,
// GL_FIELDS(S, f1, ..., fn): GL_FIELD of each field (at most 24)
#define GL_CAT(a, b) GL_CAT_(a, b)
#define GL_CAT_(a, b) a##b
#define GL_COUNT(...) GL_COUNT_(__VA_ARGS__, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
#define GL_COUNT_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, n, ...) n
#define GL_FIELDS(S, ...) GL_CAT(GL_F, GL_COUNT(__VA_ARGS__))(S, __VA_ARGS__)
#define GL_F1(S, f) GL_FIELD(S, f)
#define GL_F2(S, f, ...) GL_FIELD(S, f) GL_F1(S, __VA_ARGS__)
#define GL_F3(S, f, ...) GL_FIELD(S, f) GL_F2(S, __VA_ARGS__)
#define GL_F4(S, f, ...) GL_FIELD(S, f) GL_F3(S, __VA_ARGS__)
#define GL_F5(S, f, ...) GL_FIELD(S, f) GL_F4(S, __VA_ARGS__)
#define GL_F6(S, f, ...) GL_FIELD(S, f) GL_F5(S, __VA_ARGS__)
#define GL_F7(S, f, ...) GL_FIELD(S, f) GL_F6(S, __VA_ARGS__)
#define GL_F8(S, f, ...) GL_FIELD(S, f) GL_F7(S, __VA_ARGS__)
#define GL_F9(S, f, ...) GL_FIELD(S, f) GL_F8(S, __VA_ARGS__)
#define GL_F10(S, f, ...) GL_FIELD(S, f) GL_F9(S, __VA_ARGS__)
#define GL_F11(S, f, ...) GL_FIELD(S, f) GL_F10(S, __VA_ARGS__)
#define GL_F12(S, f, ...) GL_FIELD(S, f) GL_F11(S, __VA_ARGS__)
#define GL_F13(S, f, ...) GL_FIELD(S, f) GL_F12(S, __VA_ARGS__)
#define GL_F14(S, f, ...) GL_FIELD(S, f) GL_F13(S, __VA_ARGS__)
#define GL_F15(S, f, ...) GL_FIELD(S, f) GL_F14(S, __VA_ARGS__)
#define GL_F16(S, f, ...) GL_FIELD(S, f) GL_F15(S, __VA_ARGS__)
#define GL_F17(S, f, ...) GL_FIELD(S, f) GL_F16(S, __VA_ARGS__)
#define GL_F18(S, f, ...) GL_FIELD(S, f) GL_F17(S, __VA_ARGS__)
#define GL_F19(S, f, ...) GL_FIELD(S, f) GL_F18(S, __VA_ARGS__)
#define GL_F20(S, f, ...) GL_FIELD(S, f) GL_F19(S, __VA_ARGS__)
#define GL_F21(S, f, ...) GL_FIELD(S, f) GL_F20(S, __VA_ARGS__)
#define GL_F22(S, f, ...) GL_FIELD(S, f) GL_F21(S, __VA_ARGS__)
#define GL_F23(S, f, ...) GL_FIELD(S, f) GL_F22(S, __VA_ARGS__)
#define GL_F24(S, f, ...) GL_FIELD(S, f) GL_F23(S, __VA_ARGS__)

#define GL_STRUCT(S, ...)                                                         \
  __device__ long long gptoss_layout_##S[] = {(long long)sizeof(S), GL_FIELDS(S, __VA_ARGS__)}; \
  __device__ char gptoss_fields_##S[] = #__VA_ARGS__;

extern "C" {
GL_STRUCT(EmbedArgs, table, tokens, x, numTokens, hidden, vocabFrom, vocabTo)
GL_STRUCT(RmsNormArgs, x, delta, bias, weight, rows, out, outLo, moeY, moeWeights, numRows, hidden, eps, moeK)
GL_STRUCT(QkvRopeArgs, qkv, bias, invFreq, positions, tokenSeq, pageTable, q, kvPool, numTokens, heads,
          kvHeads, headDim, pageSize, maxPages, layers, layerOfType, attentionFactor)
GL_STRUCT(AttentionArgs, q, kvPool, pageTable, sinks, positions, items, out, outLo, partials, numItems, heads,
          kvHeads, headDim, pageSize, maxPages, layers, layerOfType, window, scale, splits, warpsPerItem)
GL_STRUCT(MoeRouteArgs, logits, bias, expertIds, weights, counts, numTokens, experts, k)
GL_STRUCT(MoeGroupArgs, counts, cursor, tiles, numTiles, experts, tileM, maxTiles, firstExpert, heldExperts, tailTiles,
          numTailTiles, tailRows, tailTileM, maxTailTiles)
GL_STRUCT(MoeScatterArgs, expertIds, cursor, assign, numAssignments)
GL_STRUCT(MoeRouteSmallArgs, logits, bias, expertIds, weights, tiles, numTiles, assign, numTokens, experts, k,
          tileM, maxTiles, firstExpert, heldExperts)
GL_STRUCT(GemvArgs, w, x, xLo, out, rows, N, K)
GL_STRUCT(MoeGemmArgs, a, aLo, assign, tiles, numTiles, blocks, scalesT, bias, out, outLo, topK, K, N, mode,
          limit)
GL_STRUCT(Mxfp4DequantArgs, blocks, scalesT, out, experts, N, K)
GL_STRUCT(MoeRowsArgs, assign, expertIds, in, inLo, bias, out, outLo, rows, topK, N, limit)
GL_STRUCT(SampleArgs, logits, params, sampled, masks, maskSlots, numRows, vocab, maskWords)
GL_STRUCT(FillArgs, dst, count, kind, seed, scale, offset)
}
