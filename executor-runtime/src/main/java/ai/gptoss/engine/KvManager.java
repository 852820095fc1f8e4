package ai.gptoss.engine;

/**
 * Decides which pages of one attention type a sequence holds (vLLM's per-attention-type KV
 * managers). Subclasses differ only in what may be released after a step: {@link
 * FullAttentionKvManager} keeps every page, {@link SlidingWindowKvManager} releases pages that fell
 * out of the window.
 */
abstract class KvManager {
  final PagePool pool;
  final int pageSize;

  KvManager(PagePool pool, int pageSize) {
    this.pool = pool;
    this.pageSize = pageSize;
  }

  /** New pages needed so that positions {@code [0, end)} are mapped (released entries count as mapped). */
  final int pagesToGrow(PageTable table, int end) {
    int needed = (end + pageSize - 1) / pageSize;
    return Math.max(0, needed - table.length());
  }

  /** Maps positions up to {@code end - 1}; the caller checked {@link #pagesToGrow} against the pool. */
  final void grow(PageTable table, int end) {
    for (int n = pagesToGrow(table, end); n > 0; n--) table.append(pool.allocate());
  }

  /**
   * Called after a step computed every position before {@code nextPos}: releases pages that no later
   * token can attend to.
   */
  abstract void afterStep(PageTable table, int nextPos);

  /**
   * Returns every page of {@code table} to the pool and empties it. Last page first, as vLLM does: cached
   * pages then reach the LRU queue deepest first, so the pages of a prefix that more requests share
   * (its start) are evicted last.
   */
  final void freeAll(PageTable table) {
    for (int j = table.length() - 1; j >= table.firstHeld(); j--) {
      int id = table.clear(j);
      if (id >= 0) pool.release(id);
    }
    table.reset();
  }
}
