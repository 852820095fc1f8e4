// bf16 x MXFP4 grouped GEMM for the experts with the weights as the wgmma's register operand
// ("swap AB", sm_90a only): the same arguments (MoeGemmArgs), tiles/assign protocol (moe_group, here
// with tileM = SW_RMAX rows), outputs and fused clamped SwiGLU as moe_gemm.cu, fast mode only (aLo null).
// STATUS (2026-12-07 12:45Z): compiled (nvcc 13.1, sm_90a: 183 registers, no spills, no wgmma
// serialization) and its fragment mapping emulated on the host; not yet run on a GPU. ExpertGemmPlan
// takes it only with GPTOSS_CUDA_MOE_SWAP=on (or GPTOSS_CUDA_MOE=swap) until moe_check.cu passes and
// times it on an H100.
//
// Math (for each tile: expert e, sorted rows [r0, r1), and each block of FB output features n):
//   u[r, n] = sum_k A[r, k] * W_e[n, k] + bias_e[n],   W_e[n, k] = E2M1(nibble) * 2^(scale - 127)
// mode 0 (gate_up): act[r, i] = clamped SwiGLU(u[r, 2i], u[r, 2i+1])   -> bf16 [T*k, N/2], sorted rows
// mode 1 (down):    y[assign[r], n] = u[r, n]                           -> f32 [T*k, N], (t, j) order
// A rows: mode 0 gathers h[assign[r] / k]; mode 1 reads act[r].
//
// Why (decode at batch 1,024: ~128 rows per expert, often 128 plus a few): moe_gemm.cu cuts an expert
// into 128-row tiles, so an expert of 140 rows costs two blocks that each read and unpack all its
// weights, and every block unpacks to shared memory and reads the tile back with ldmatrix four times
// (once per warp row), ~96 KB of shared-memory traffic per 64-deep k step. Here the product is
// computed transposed, D^T = W_e A^T: the weights are the M operand (64 features per warpgroup), the
// expert's rows are the N operand, so
//  - one block takes all of an expert's rows up to SW_RMAX (192: nearly every decode expert at batch 1,024), in chunks of CH
//    tokens (wgmma m64nCHk16, CH = 16/32/64), so a 140-row expert costs ceil(140 / CH) chunks, not a
//    second tile: the weights are read from memory and unpacked once per step;
//  - each thread unpacks exactly the weights of its own A fragment, in registers, from the packed
//    nibbles in shared memory (no unpacked tile, no block barrier, no ldmatrix of weights);
//  - the activations (B operand) are read by the tensor cores straight from shared memory (128-byte
//    swizzled, K-major, as moe_gemm_wgmma.cu's tiles), once per warpgroup.
//
// Design: CW consumer warpgroups (64 features each, FB = 64 CW) then PW producer warps; non-persistent
// grid (x = tile, y = FB block). Producers: cp.async of the tile's gathered rows (r1 - r0 rows of 128 B
// per 64-deep k step), the FB x 32 bytes of nibbles and 2 x FB scale bytes of the step into an LS-deep
// ring (LS - 1 steps in flight); when a step's copies have landed (cp.async.wait_group),
// fence.proxy.async (the activations become visible to wgmma) and arrive on full[slot]. Consumers take
// two steps per loop iteration as four batches, one per MXFP4 block (two k16 slices): unpack the
// block's A fragments, wgmma.fence, for each k16 slice and active chunk one wgmma (A: registers, B:
// descriptor), commit. Each batch's unpack runs while the previous batch is on the tensor cores
// (wait_group 1 before a fragment buffer is rewritten; a slot is released, one arrival per warp on
// empty[slot], once its second batch is done); nothing is in flight across the loop's back edge, since
// ptxas serializes every wgmma of a loop that rewrites fragment registers a wgmma of the previous
// iteration may still read (C7513).
// A thread's fragment (rows = features 16 w + g and + 8 of its warp w, lane = 4 g + t; k = 2t, 2t+1,
// 2t+8, 2t+9 of each k16 slice) is byte t of each 32-bit word of the feature's 16-byte MXFP4 block:
// three byte permutes gather it, mxfp4_word (gptoss_kernels.h, exact) turns it into the 4 registers
// of two k16 slices. Rows of the last chunk past r1 are not loaded: they only feed output columns that
// are never stored. The number of active chunks is fixed per block: the consumer loop is instantiated
// for 1..NC chunks and the block dispatches once.
// Epilogue from the accumulators (rows = features, columns = tokens: d[4j + q] holds features
// 16 w + g (q 0, 1) and + 8 (q 2, 3), tokens 8 j + 2 t (+1 for odd q)): bias, then mode 0 exchanges the
// gate/up partner (feature ^ 1 = lane ^ 4) with one shuffle and stores act; mode 1 stores y.
//
// Requirements (ExpertGemmPlan checks): sm_90a; fast mode (aLo null); N a multiple of 64; K a multiple
// of 32 (a last half step reads zeros). moe_check.cu compares it with the float32 reference and times it
// against moe_gemm.cu in the same process.
#include "gptoss_kernels.h"

// Register budget: the SM allocates registers to a block's warps in groups of 4 warps, so the 10 warps
// here are charged as 12: 12 x 32 x 168 = 64,512 of the 65,536 registers, hence __maxnreg__(168) (at 183
// registers no block fits: "too many resources requested for launch", H100 2026-12-07 12:57Z). Tiles of
// 256 rows (128 accumulator registers per consumer thread) spill at 168; 192 rows (96) do not.
#define SW_RMAX 192  // rows per tile of the production kernel (tileM of moe_group)
#define SW_CW 2      // consumer warpgroups of the production kernel: 128 features per block
#define SW_CH 32     // tokens per wgmma (chunk) of the production kernel
#define SW_LS 4      // load ring depth of the production kernel
#define SW_PW 2      // producer warps of the production kernel
#define SW_LDQ 32    // nibble bytes per feature per step (two MXFP4 blocks)
// Dynamic shared memory: LS x (activations [RMAX][128 B] + nibbles [FB][32 B] + scales [2][FB]) + 1,024
// for aligning the base to the 128-byte swizzle's 1,024-byte atom.
#define MOE_SWAP_SMEM_T(rmax, fb, ls) ((ls) * ((rmax) * 128 + (fb) * SW_LDQ + 2 * (fb)) + 1024)
#define MOE_SWAP_SMEM MOE_SWAP_SMEM_T(SW_RMAX, 64 * SW_CW, SW_LS)
#define MOE_SWAP_THREADS_T(cw, pw) (128 * (cw) + 32 * (pw))
#define MOE_SWAP_THREADS MOE_SWAP_THREADS_T(SW_CW, SW_PW)

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define MOE_SWAP_ENABLED 1

// Waits until the phase of parity `parity` has completed. Built with -DSW_HANG_CHECK (moe_check.cu is),
// a wait of a few seconds traps instead of hanging (no printf: a call anywhere in the kernel makes ptxas
// serialize every wgmma, C7510).
__device__ __forceinline__ void sw_mbar_wait(unsigned bar, unsigned parity) {
#ifdef SW_HANG_CHECK
  long long tries = 0;
#endif
  while (!mbar_try(bar, parity)) {
#ifdef SW_HANG_CHECK
    if (++tries == (1ll << 28)) __trap();
#endif
  }
}
// D (64 features x CH tokens, f32) += A (64 x 16, bf16, registers) * B (CH tokens x 16, bf16, descriptor)^T.
template <int CH>
__device__ __forceinline__ void sw_wgmma(float (&d)[CH / 2], const unsigned (&a)[4], unsigned long long db);
template <>
__device__ __forceinline__ void sw_wgmma<16>(float (&d)[8], const unsigned (&a)[4], unsigned long long db) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7}, {%8, %9, %10, %11}, %12, p, 1, 1, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db));
}
template <>
__device__ __forceinline__ void sw_wgmma<32>(float (&d)[16], const unsigned (&a)[4], unsigned long long db) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, {%16, %17, %18, %19}, %20, p, 1, 1, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db));
}
template <>
__device__ __forceinline__ void sw_wgmma<64>(float (&d)[32], const unsigned (&a)[4], unsigned long long db) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "{%32, %33, %34, %35}, %36, p, 1, 1, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db));
}

// What every role of a block shares: the tile, its shared-memory carve-up and barriers.
struct SwTile {
  int e, r0, rows, n0, steps, nb;
  unsigned act, nib, scl;  // shared addresses of the three rings
  unsigned actSlot;        // bytes of one activation slot: RMAX x 128
  unsigned full, empty;    // mbarrier arrays [LS]
  const unsigned char* gen;  // generic pointer of the aligned base
  unsigned base;
};

// A thread's A fragments of one MXFP4 block (half 0: k 0-31, half 1: k 32-63 of the step):
// afr[kk] = the 4 registers of k16 slice 2 half + kk.
template <int FB>
__device__ __forceinline__ void sw_unpack_half(const SwTile& t, int slot, int half, int lf, int tig, unsigned (&afr)[2][4]) {
  const unsigned char* q = t.gen + (t.nib - t.base) + slot * (FB * SW_LDQ);
  const unsigned char* sc = t.gen + (t.scl - t.base) + slot * (2 * FB);
  const unsigned sel = 0x40u + 0x11u * (unsigned)tig;  // byte tig of the first word, then of the second
#pragma unroll
  for (int f = 0; f < 2; f++) {  // features lf (fragment rows g) and lf + 8 (rows g + 8)
    const uint4 raw = *(const uint4*)(q + (lf + 8 * f) * SW_LDQ + half * 16);
    const Mxfp4Lut lut = mxfp4_lut(sc[half * FB + lf + 8 * f]);
    const unsigned w = __byte_perm(__byte_perm(raw.x, raw.y, sel), __byte_perm(raw.z, raw.w, sel), 0x5410);
    unsigned o[4];
    mxfp4_word(w, lut, o);  // o[0]: k 2t,2t+1; o[1]: 8+2t..; o[2]: 16+2t..; o[3]: 24+2t..
    afr[0][f] = o[0];
    afr[0][2 + f] = o[1];
    afr[1][f] = o[2];
    afr[1][2 + f] = o[3];
  }
}

// One batch of wgmma: the two k16 slices of MXFP4 block `half` of the step in ring slot `slot`, for
// each of the NA active chunks of CH tokens.
template <int CH, int NA>
__device__ __forceinline__ void sw_issue(const SwTile& t, int slot, int half, const unsigned (&afr)[2][4],
                                         float (&acc)[NA][CH / 2]) {
  const unsigned a0 = t.act + slot * t.actSlot + half * 64;
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < 2; kk++)
#pragma unroll
    for (int c = 0; c < NA; c++) sw_wgmma<CH>(acc[c], afr[kk], wgmma_desc_sw128(a0 + c * CH * 128 + kk * 32));
  wgmma_commit();
}

// A consumer warpgroup's whole k loop and epilogue with NA active chunks.
template <int FB, int CH, int NA, int LS>
__device__ __forceinline__ void sw_consume(const SwTile& t, const MoeGemmArgs& a, const int* rowDst) {
  const int ct = threadIdx.x, wg = ct >> 7, warp = (ct >> 5) & 3, lane = ct & 31;
  const int g = lane >> 2, tig = lane & 3;
  const int lf = wg * 64 + warp * 16 + g;      // local feature of fragment rows g; + 8 for rows g + 8
  // A warpgroup past N (N a multiple of 64: the last block of down at N = 2,880) multiplies the zeros
  // its producer loaded (no branch around the wgmma: ptxas would serialize them) and stores nothing.
  const bool active = t.n0 + wg * 64 < a.N;
  const bool leader = lane == 0;
  float acc[NA][CH / 2];
#pragma unroll
  for (int c = 0; c < NA; c++)
#pragma unroll
    for (int i = 0; i < CH / 2; i++) acc[c][i] = 0.f;
  // Two steps per iteration, four batches (one per MXFP4 block): each batch's fragments are unpacked
  // while the previous batch runs on the tensor cores. Nothing is in flight across the loop's back
  // edge (ptxas serializes every wgmma when fragment registers are written in a loop while a wgmma
  // reading the previous iteration's may still run).
  unsigned f0[2][4], f1[2][4];
#pragma unroll
  for (int c = 0; c < NA; c++) wgmma_fence_regs(acc[c]);
  int s = 0;
  for (; s + 1 < t.steps; s += 2) {
    const int sa = s % LS, sb = (s + 1) % LS;
    sw_mbar_wait(t.full + 8 * sa, (s / LS) & 1);
    sw_unpack_half<FB>(t, sa, 0, lf, tig, f0);
    sw_issue<CH, NA>(t, sa, 0, f0, acc);
    sw_unpack_half<FB>(t, sa, 1, lf, tig, f1);
    sw_issue<CH, NA>(t, sa, 1, f1, acc);
    sw_mbar_wait(t.full + 8 * sb, ((s + 1) / LS) & 1);
    wgmma_wait<1>();  // f0's batch is done
    sw_unpack_half<FB>(t, sb, 0, lf, tig, f0);
    sw_issue<CH, NA>(t, sb, 0, f0, acc);
    wgmma_wait<1>();  // f1's batch, the last reading slot sa, is done
    if (leader) mbar_arrive(t.empty + 8 * sa);
    sw_unpack_half<FB>(t, sb, 1, lf, tig, f1);
    sw_issue<CH, NA>(t, sb, 1, f1, acc);
    wgmma_wait<0>();
    if (leader) mbar_arrive(t.empty + 8 * sb);
  }
  if (s < t.steps) {  // an odd last step
    const int sa = s % LS;
    sw_mbar_wait(t.full + 8 * sa, (s / LS) & 1);
    sw_unpack_half<FB>(t, sa, 0, lf, tig, f0);
    sw_issue<CH, NA>(t, sa, 0, f0, acc);
    sw_unpack_half<FB>(t, sa, 1, lf, tig, f1);
    sw_issue<CH, NA>(t, sa, 1, f1, acc);
  }
  wgmma_wait<0>();
#pragma unroll
  for (int c = 0; c < NA; c++) wgmma_fence_regs(acc[c]);
  if (!active) return;
  // epilogue: acc[c][4j + q]: feature lf (q 0, 1) / lf + 8 (q 2, 3), token c CH + 8j + 2 tig (+1 for odd q)
  const float* bias = a.bias + (long long)t.e * a.N;
  const int fr = t.n0 + lf;
  const float b0 = bias[fr], b1 = bias[fr + 8];
  const bool odd = g & 1;
#pragma unroll
  for (int c = 0; c < NA; c++) {
#pragma unroll
    for (int j = 0; j < CH / 8; j++) {
      const int tok = c * CH + j * 8 + 2 * tig;
#pragma unroll
      for (int h = 0; h < 2; h++) {  // features fr (h 0) and fr + 8 (h 1)
        const int f = fr + 8 * h;
        const float u0 = acc[c][4 * j + 2 * h] + (h ? b1 : b0), u1 = acc[c][4 * j + 2 * h + 1] + (h ? b1 : b0);
        if (a.mode == 0) {
          // gate = feature 2i (even g), up = 2i + 1 (the odd partner, lane ^ 4): the even lane takes
          // token tok, the odd lane token tok + 1
          const float x = __shfl_xor_sync(0xffffffffu, odd ? u0 : u1, 4);
          const int row = odd ? tok + 1 : tok;
          if (row < t.rows) {
            const float v = odd ? clamped_swiglu(x, u1, a.limit) : clamped_swiglu(u0, x, a.limit);
            store_hi_lo((bf16*)a.out, a.outLo, (long long)(t.r0 + row) * (a.N / 2) + (f >> 1), v);
          }
        } else {
          float* y = (float*)a.out;
          if (tok < t.rows) y[(long long)rowDst[tok] * a.N + f] = u0;
          if (tok + 1 < t.rows) y[(long long)rowDst[tok + 1] * a.N + f] = u1;
        }
      }
    }
  }
}

template <int FB, int CH, int NA, int LS>
__device__ __forceinline__ void sw_consume_dispatch(const SwTile& t, const MoeGemmArgs& a, const int* rowDst, int na) {
  if constexpr (NA > 1) {
    if (na < NA) {
      sw_consume_dispatch<FB, CH, NA - 1, LS>(t, a, rowDst, na);
      return;
    }
  }
  sw_consume<FB, CH, NA, LS>(t, a, rowDst);
}

// The producer warps: every step's activations, nibbles and scales into the ring. A step's full
// barrier is signalled before the wait for a slot to refill (LS - 1 steps stay in flight): consumers
// release a slot only after the next step has landed (two steps per consumer iteration), so waiting for
// the slot first would deadlock.
template <int FB, int LS, int PW>
__device__ __forceinline__ void sw_produce(const SwTile& t, const MoeGemmArgs& a, const int* rowSrc, int p) {
  constexpr int P = 32 * PW;
  const int c8 = p & 7;  // the 16-byte column of every activation row this thread copies
  const long long expertRow = (long long)t.e * a.N;
  for (int it = 0; it < t.steps + LS - 1; it++) {
    const int u = it - (LS - 1);  // groups 0 .. it-1 are committed: the step whose copies must land now
    if (u >= 0) {
      cp_async_wait<LS - 2>();
      fence_proxy_async();
      mbar_arrive(t.full + 8 * (u % LS));
    }
    if (it < t.steps) {
      const int slot = it % LS;
      if (it >= LS) sw_mbar_wait(t.empty + 8 * slot, ((it / LS) - 1) & 1);
      const int k = it * 64 + c8 * 8;
      const bool kOk = k < a.K;
      const unsigned dst = t.act + slot * t.actSlot;
      for (int row = p >> 3; row < t.rows; row += P / 8) {
        const long long off = kOk ? (long long)rowSrc[row] * a.K + k : 0;
        cp_async16(dst + row * 128 + ((c8 ^ (row & 7)) << 4), a.a + off, kOk);
      }
#pragma unroll
      for (int id = p; id < 2 * FB; id += P) {  // nibbles: feature id / 2, block half id % 2
        const int row = id >> 1, blk = it * 2 + (id & 1);
        const bool ok = t.n0 + row < a.N && blk < t.nb;
        const u8* src = ok ? a.blocks + ((expertRow + t.n0 + row) * t.nb + blk) * 16 : a.blocks;
        cp_async16(t.nib + slot * (FB * SW_LDQ) + id * 16, src, ok);
      }
      if (p < FB / 8) {  // scales: 2 blocks x FB bytes
        const int half = p / (FB / 16), chunk = p % (FB / 16);
        const int blk = it * 2 + half, n = t.n0 + chunk * 16;
        const bool ok = blk < t.nb && n < a.N;
        const u8* src = ok ? a.scalesT + ((long long)t.e * t.nb + blk) * a.N + n : a.scalesT;
        cp_async16(t.scl + slot * (2 * FB) + half * FB + chunk * 16, src, ok);
      }
    }
    cp_async_commit();
  }
}
#endif  // sm_90a

// The kernel body: CW consumer warpgroups (FB = 64 CW features), chunks of CH tokens, NC chunks
// (RMAX = CH NC rows per tile), an LS-deep ring, PW producer warps; blockDim.x = 128 CW + 32 PW.
template <int CW, int CH, int NC, int LS, int PW>
__device__ __forceinline__ void moe_swap_tile(const MoeGemmArgs& a) {
#if defined(MOE_SWAP_ENABLED)
  constexpr int FB = 64 * CW, RMAX = CH * NC;
  static_assert(RMAX % 8 == 0 && CH % 8 == 0 && LS >= 3, "1,024-byte aligned chunks and slots");
  extern __shared__ unsigned char sw_smem_raw[];
  __shared__ int rowSrc[RMAX];
  __shared__ int rowDst[RMAX];
  __shared__ __align__(8) unsigned long long bars[2 * LS];
  const int tile = blockIdx.x;
  if (tile >= *a.numTiles) return;
  SwTile t;
  t.e = a.tiles[tile * 3];
  t.r0 = a.tiles[tile * 3 + 1];
  t.rows = a.tiles[tile * 3 + 2] - t.r0;
  t.n0 = blockIdx.y * FB;
  if (t.n0 >= a.N || t.rows <= 0) return;
  if (t.rows > RMAX) __trap();  // moe_group cut tiles of more than RMAX rows: a planning error
  t.nb = a.K / 32;
  t.steps = (t.nb + 1) / 2;
  t.base = (smem_u32(sw_smem_raw) + 1023u) & ~1023u;
  t.gen = sw_smem_raw + (t.base - smem_u32(sw_smem_raw));
  t.actSlot = RMAX * 128;
  t.act = t.base;
  t.nib = t.act + LS * t.actSlot;
  t.scl = t.nib + LS * FB * SW_LDQ;
  t.full = smem_u32(&bars[0]);
  t.empty = smem_u32(&bars[LS]);
  const int tid = threadIdx.x;
  for (int i = tid; i < RMAX; i += blockDim.x) {
    const int r = t.r0 + i;
    const int dst = i < t.rows ? a.assign[r] : -1;
    rowDst[i] = dst;
    rowSrc[i] = i < t.rows ? (a.mode == 0 ? dst / a.topK : r) : 0;
  }
  if (tid == 0) {
    for (int i = 0; i < LS; i++) {
      mbar_init(t.full + 8 * i, 32 * PW);
      mbar_init(t.empty + 8 * i, 4 * CW);
    }
  }
  __syncthreads();
  if (tid >= 128 * CW) {
    sw_produce<FB, LS, PW>(t, a, rowSrc, tid - 128 * CW);
  } else {
    sw_consume_dispatch<FB, CH, NC, LS>(t, a, rowDst, (t.rows + CH - 1) / CH);
  }
#else
  // Built for another architecture (sm_80, plain sm_90): no wgmma. Never planned there; a launch traps
  // rather than leave the outputs unwritten.
  (void)a;
  __trap();
#endif
}

// Production shape: 128 features (two consumer warpgroups), tiles of up to 192 rows in chunks of 32,
// a 4-deep ring, two producer warps: 320 threads, one block per SM, MOE_SWAP_SMEM bytes of dynamic
// shared memory. Grid: x = tile (maxTiles of tileM = SW_RMAX), y = ceil(N / 128).
extern "C" __global__ void __maxnreg__(168) bf16_mxfp4w_moe_gemm_swap(MoeGemmArgs a) {
  pdl_begin();
  moe_swap_tile<SW_CW, SW_CH, SW_RMAX / SW_CH, SW_LS, SW_PW>(a);
}

// Three consumer warpgroups (192 features), tiles of up to 128 rows (4 chunks of 32), a 4-deep ring, two producer warps:
// 448 threads at most 128 registers, MOE_SWAP_SMEM_T(128, 192, 4) bytes of dynamic shared memory; grid x = tile (maxTiles
// of tileM = 128), y = ceil(N / 192). Taken with GPTOSS_CUDA_MOE_SWAP=mid for fast steps below the wide wgmma's range
// (ExpertGemmPlan.SWAP_MID); moe_check.cu checks and times it as gemm_swap_cw3.
extern "C" __global__ void __maxnreg__(128) bf16_mxfp4w_moe_gemm_swap_cw3(MoeGemmArgs a) {
  pdl_begin();
  moe_swap_tile<3, 32, 4, 4, 2>(a);
}
