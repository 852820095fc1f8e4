package ai.gptoss.backend.cuda;

/**
 * The argument structs of the kernels (native/src/main/cuda/gptoss_kernels.h), one record each, named
 * as the struct, its components named as the struct's fields and in their order. Types: {@code long}
 * for a device pointer (an address) or a {@code long long}, {@code int} for an {@code int} or an
 * {@code unsigned}, {@code float} for a {@code float}. The header's comments say what each field holds.
 *
 * <p>{@link #pack} writes the fields with natural alignment, as the C compiler lays the struct out;
 * at kernel load {@link KernelLayout} compares every record's layout with the one the compiled
 * layout.cu reports, and {@link Kernels#launch} refuses a struct that is not its kernel's.
 */
sealed interface KernelStruct {
  /** Writes the fields into {@code a} (reset), in declaration order. */
  void pack(KernelArgs a);

  record EmbedArgs(long table, long tokens, long x, int numTokens, int hidden, int vocabFrom, int vocabTo)
      implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(table).ptr(tokens).ptr(x).i32(numTokens).i32(hidden).i32(vocabFrom).i32(vocabTo);
    }
  }

  record RmsNormArgs(long x, long delta, long bias, long weight, long rows, long out, long outLo, long moeY,
      long moeWeights, int numRows, int hidden, float eps, int moeK) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(x).ptr(delta).ptr(bias).ptr(weight).ptr(rows).ptr(out).ptr(outLo).ptr(moeY).ptr(moeWeights)
          .i32(numRows).i32(hidden).f32(eps).i32(moeK);
    }
  }

  record QkvRopeArgs(long qkv, long bias, long invFreq, long positions, long tokenSeq, long pageTable, long q,
      long kvPool, int numTokens, int heads, int kvHeads, int headDim, int pageSize, int maxPages, int layers,
      int layerOfType, float attentionFactor) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(qkv).ptr(bias).ptr(invFreq).ptr(positions).ptr(tokenSeq).ptr(pageTable).ptr(q).ptr(kvPool)
          .i32(numTokens).i32(heads).i32(kvHeads).i32(headDim).i32(pageSize).i32(maxPages).i32(layers)
          .i32(layerOfType).f32(attentionFactor);
    }
  }

  record AttentionArgs(long q, long kvPool, long pageTable, long sinks, long positions, long items, long out,
      long outLo, long partials, int numItems, int heads, int kvHeads, int headDim, int pageSize, int maxPages,
      int layers, int layerOfType, int window, float scale, int splits, int warpsPerItem) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(q).ptr(kvPool).ptr(pageTable).ptr(sinks).ptr(positions).ptr(items).ptr(out).ptr(outLo).ptr(partials)
          .i32(numItems).i32(heads).i32(kvHeads).i32(headDim).i32(pageSize).i32(maxPages).i32(layers)
          .i32(layerOfType).i32(window).f32(scale).i32(splits).i32(warpsPerItem);
    }
  }

  record MoeRouteArgs(long logits, long bias, long expertIds, long weights, long counts, int numTokens, int experts,
      int k) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(logits).ptr(bias).ptr(expertIds).ptr(weights).ptr(counts).i32(numTokens).i32(experts).i32(k);
    }
  }

  record MoeGroupArgs(long counts, long cursor, long tiles, long numTiles, int experts, int tileM, int maxTiles,
      int firstExpert, int heldExperts, long tailTiles, long numTailTiles, int tailRows, int tailTileM, int maxTailTiles)
      implements KernelStruct {
    /** Without tails (tailRows 0): moe_group's one tile list. */
    MoeGroupArgs(long counts, long cursor, long tiles, long numTiles, int experts, int tileM, int maxTiles, int firstExpert,
        int heldExperts) {
      this(counts, cursor, tiles, numTiles, experts, tileM, maxTiles, firstExpert, heldExperts, 0, 0, 0, 0, 0);
    }

    @Override
    public void pack(KernelArgs a) {
      a.ptr(counts).ptr(cursor).ptr(tiles).ptr(numTiles).i32(experts).i32(tileM).i32(maxTiles).i32(firstExpert)
          .i32(heldExperts).ptr(tailTiles).ptr(numTailTiles).i32(tailRows).i32(tailTileM).i32(maxTailTiles);
    }
  }

  record MoeScatterArgs(long expertIds, long cursor, long assign, int numAssignments) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(expertIds).ptr(cursor).ptr(assign).i32(numAssignments);
    }
  }

  record MoeRouteSmallArgs(long logits, long bias, long expertIds, long weights, long tiles, long numTiles,
      long assign, int numTokens, int experts, int k, int tileM, int maxTiles, int firstExpert, int heldExperts)
      implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(logits).ptr(bias).ptr(expertIds).ptr(weights).ptr(tiles).ptr(numTiles).ptr(assign)
          .i32(numTokens).i32(experts).i32(k).i32(tileM).i32(maxTiles).i32(firstExpert).i32(heldExperts);
    }
  }

  record GemvArgs(long w, long x, long xLo, long out, int rows, int N, int K) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(w).ptr(x).ptr(xLo).ptr(out).i32(rows).i32(N).i32(K);
    }
  }

  /** mode: {@link #GATE_UP} (clamped SwiGLU into bf16 act) or {@link #DOWN} (float y). */
  record MoeGemmArgs(long a, long aLo, long assign, long tiles, long numTiles, long blocks, long scalesT, long bias,
      long out, long outLo, int topK, int K, int N, int mode, float limit) implements KernelStruct {
    static final int GATE_UP = 0, DOWN = 1;

    @Override
    public void pack(KernelArgs p) {
      p.ptr(a).ptr(aLo).ptr(assign).ptr(tiles).ptr(numTiles).ptr(blocks).ptr(scalesT).ptr(bias).ptr(out).ptr(outLo)
          .i32(topK).i32(K).i32(N).i32(mode).f32(limit);
    }
  }

  record Mxfp4DequantArgs(long blocks, long scalesT, long out, int experts, int N, int K) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(blocks).ptr(scalesT).ptr(out).i32(experts).i32(N).i32(K);
    }
  }

  record MoeRowsArgs(long assign, long expertIds, long in, long inLo, long bias, long out, long outLo, int rows,
      int topK, int N, float limit) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(assign).ptr(expertIds).ptr(in).ptr(inLo).ptr(bias).ptr(out).ptr(outLo).i32(rows).i32(topK).i32(N).f32(limit);
    }
  }

  record SampleArgs(long logits, long params, long sampled, long masks, long maskSlots, int numRows, int vocab,
      int maskWords) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(logits).ptr(params).ptr(sampled).ptr(masks).ptr(maskSlots).i32(numRows).i32(vocab).i32(maskWords);
    }
  }

  record FillArgs(long dst, long count, int kind, int seed, float scale, float offset) implements KernelStruct {
    @Override
    public void pack(KernelArgs a) {
      a.ptr(dst).i64(count).i32(kind).i32(seed).f32(scale).f32(offset);
    }
  }
}
