package ai.gptoss.backend.cuda;

/**
 * The launch of one attention item list (decode or prefill) of a layer: which kernel, its grid, and
 * the split-K count of the tensor-core kernel (attention_mma.cu). Everything here depends on the
 * step's shape only (item count, page-table width, the model's heads and window), never on sequence
 * contents, so that a step's launches are a function of its metadata layout.
 *
 * <p>attention_mma runs one warp per task (up to 16 query rows of one KV head): a decode item is one
 * task, a prefill item of {@code tile} tokens is ceil(tile / tokensPerWarp) tasks. When tasks x KV
 * heads is below {@link #TARGET_WARPS}, the keys are split so that the GPU fills (single-stream decode
 * at context 2,048: 1 task x 8 heads x 17 splits = 136 warps); splits then write partials that
 * attention_combine merges. The float32-K/V build, head dims other than 16/32/64 and pages other than
 * 16 tokens use the SIMT kernels of attention.cu (one block of 256 threads per item and KV head).
 */
record AttentionPlan(String kernel, int gridX, int gridY, int gridZ, int block, int splits, int warpsPerItem) {
  /**
   * Warps wanted for one launch: one per SM of an H100 (132 SMs). Measured (attention_check, H100,
   * single sequence at context 2,048, 8 KV heads, mma + combine in a CUDA graph): 8 splits 12.3 us,
   * 16 splits 10.4 us, 33 splits 11.8 us, 64 splits 15.4 us; no split (SIMT kernel) 235 us.
   */
  static final int TARGET_WARPS = 132;
  static final int MAX_SPLITS = 64;
  static final int PAGE = 16;

  /** Float rows of the partials buffer: splits x tasks x kvHeads < 2 x TARGET_WARPS whenever splits > 1. */
  static long partialFloats(int headDim) {
    return 2L * TARGET_WARPS * 16 * (headDim + 2);
  }

  static boolean tensorCores(KvFormat format, int headDim, int pageSize) {
    return format != KvFormat.F32 && pageSize == PAGE && (headDim == 16 || headDim == 32 || headDim == 64);
  }

  /** Split count of attention_mma (mirrored by native/src/test/cuda/attention_check.cu). */
  static int splits(int items, int warpsPerItem, int kvHeads, int maxPages, int window, int tokensPerWarp) {
    long warps = (long) items * warpsPerItem * kvHeads;
    if (warps >= TARGET_WARPS) return 1;
    int s = (int) ((TARGET_WARPS + warps - 1) / warps);
    int chunks = maxPages; // keys of one task span at most this many 16-key chunks
    if (window > 0) chunks = Math.min(chunks, (window + tokensPerWarp + 14) / PAGE + 1);
    return Math.max(1, Math.min(Math.min(s, chunks), MAX_SPLITS));
  }

  /**
   * @param prefill items of up to {@code tile} tokens (else one token each)
   */
  static AttentionPlan of(boolean tensorCores, boolean prefill, int items, int tile, int heads, int kvHeads, int maxPages,
      int window) {
    if (!tensorCores) return new AttentionPlan(prefill ? "attention_prefill" : "attention_decode", items, kvHeads, 1, 256, 1, 1);
    int group = heads / kvHeads;
    int tokensPerWarp = group >= 16 ? 1 : 16 / group;
    int wpi = prefill ? (tile + tokensPerWarp - 1) / tokensPerWarp : 1;
    int tasks = items * wpi;
    int perBlock = Math.min(4, tasks);
    int s = splits(items, wpi, kvHeads, maxPages, window, tokensPerWarp);
    return new AttentionPlan("attention_mma", (tasks + perBlock - 1) / perBlock, kvHeads, s, 32 * perBlock, s, wpi);
  }

  /** Tasks (warps) per KV head and split: the combine's grid x. */
  int tasks(int items) {
    return items * warpsPerItem;
  }
}
