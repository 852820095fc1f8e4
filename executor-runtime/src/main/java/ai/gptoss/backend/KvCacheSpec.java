package ai.gptoss.backend;

/**
 * Sizes of the two KV page pools. Full-attention layers and sliding-window layers have separate
 * pools and separate page tables, because sliding layers release pages that left the window.
 *
 * @param pageSize tokens per page
 * @param fullPages pages in the pool of the full-attention layers (each page holds all those layers)
 * @param slidingPages pages in the pool of the sliding-window layers
 */
public record KvCacheSpec(int pageSize, int fullPages, int slidingPages) {
  public KvCacheSpec {
    if (pageSize <= 0 || fullPages < 0 || slidingPages < 0) {
      throw new IllegalArgumentException("bad KV cache spec: page size " + pageSize + ", pages " + fullPages + "/" + slidingPages);
    }
  }
}
