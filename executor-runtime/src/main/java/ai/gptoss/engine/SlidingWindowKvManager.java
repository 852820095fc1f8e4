package ai.gptoss.engine;

/**
 * Sliding-window layers: the token at position p attends to the current token and the window-1
 * before it, {@code [p - window + 1, p]} (gpt-oss: window 128, so p-127..p). Once a page lies
 * entirely before the first position the next token can see, it is released and its table entry
 * becomes -1; a long sequence therefore holds at most {@code window/pageSize + 1} pages between steps.
 */
final class SlidingWindowKvManager extends KvManager {
  private final int window;

  SlidingWindowKvManager(PagePool pool, int pageSize, int window) {
    super(pool, pageSize);
    if (window < 1) throw new IllegalArgumentException("sliding window must be positive, got " + window);
    this.window = window;
  }

  /** The window rule, written once: the first position a query at {@code pos} attends to. */
  static int firstVisible(int pos, int window) {
    return Math.max(0, pos - window + 1);
  }

  int window() {
    return window;
  }

  @Override
  void afterStep(PageTable table, int nextPos) {
    int first = firstVisible(nextPos, window);
    // Page j covers [j*P, (j+1)*P); it is dead once (j+1)*P <= first.
    int dead = Math.min(first / pageSize, table.length());
    for (int j = table.firstHeld(); j < dead; j++) {
      int id = table.clear(j);
      if (id >= 0) pool.release(id);
    }
  }

  /**
   * Most sliding pages one sequence holds during a step that computes {@code chunk} tokens: the step
   * reads from {@code firstVisible(p0)} and writes up to {@code p0 + chunk - 1}, a span of at most
   * {@code chunk + window - 1} positions (and never more than {@code maxLength}), which touches at
   * most this many pages wherever it starts. For a decode (chunk 1) that is window/pageSize + 1 when
   * the window is a multiple of the page size.
   */
  static int maxPagesForChunk(int chunk, int window, int pageSize, int maxLength) {
    int span = Math.min(chunk + window - 1, maxLength);
    return (span + pageSize - 2) / pageSize + 1;
  }
}
