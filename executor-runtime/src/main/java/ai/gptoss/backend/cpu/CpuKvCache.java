package ai.gptoss.backend.cpu;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.KvCacheSpec;

/**
 * KV page storage in float32 for one attention type (full or sliding). A page holds {@code pageSize}
 * positions of K and V for every layer of that type: layout {@code [layerOfType][k|v][slot][kvDim]}.
 * Pages are allocated on first write, so an idle pool costs nothing. Values are stored as
 * {@link KvCacheDtype} says: float32 by default, or rounded to bf16 / FP8 E4M3 as the CUDA backend
 * stores them when GPTOSS_KV_CACHE_DTYPE asks for it.
 */
public final class CpuKvCache {
  private final int layers;
  private final int pageSize;
  private final int kvDim;
  private final float[][] pages;
  private final KvCacheDtype dtype;

  CpuKvCache(int layers, int pages, int pageSize, int kvDim, KvCacheDtype dtype) {
    this.dtype = dtype;
    this.layers = layers;
    this.pageSize = pageSize;
    this.kvDim = kvDim;
    this.pages = new float[pages][];
  }

  public static CpuKvCache of(KvCacheSpec spec, int layers, boolean sliding, int kvDim, KvCacheDtype dtype) {
    return new CpuKvCache(layers, sliding ? spec.slidingPages() : spec.fullPages(), spec.pageSize(), kvDim, dtype);
  }

  /** Copies {@code n} values into a page, rounded as this cache stores them. */
  void write(float[] src, int srcOff, float[] page, int dstOff, int n) {
    if (dtype == KvCacheDtype.AUTO) {
      System.arraycopy(src, srcOff, page, dstOff, n);
    } else {
      for (int i = 0; i < n; i++) page[dstOff + i] = dtype.round(src[srcOff + i]);
    }
  }

  int pageSize() {
    return pageSize;
  }

  /** The page holding {@code position} for a sequence with page table {@code table}. */
  float[] page(int[] table, int position, boolean create) {
    int logical = position / pageSize;
    if (logical >= table.length || table[logical] < 0) {
      throw new BackendException("KV page for position " + position + " is not mapped (logical page " + logical + ")");
    }
    int id = table[logical];
    if (id >= pages.length) throw new BackendException("KV page id " + id + " outside the pool of " + pages.length);
    float[] p = pages[id];
    if (p == null) {
      if (!create) throw new BackendException("KV page " + id + " read before it was written");
      p = pages[id] = new float[layers * 2 * pageSize * kvDim];
    }
    return p;
  }

  /** Offset of K (kv=0) or V (kv=1) of {@code position} for layer {@code layerOfType} inside its page. */
  int offset(int layerOfType, int kv, int position) {
    return ((layerOfType * 2 + kv) * pageSize + position % pageSize) * kvDim;
  }
}
