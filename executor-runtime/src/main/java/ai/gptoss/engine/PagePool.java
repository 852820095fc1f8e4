package ai.gptoss.engine;

/**
 * A pool of fixed-size KV pages, identified by 0..capacity-1: a free list with counts. Freeing a page
 * twice, or one that was never handed out, is a bug in the engine and throws at once instead of
 * silently corrupting another sequence's cache.
 *
 * <p>Not thread-safe: only the engine loop touches it.
 */
final class PagePool {
  private final String name;
  private final int[] free; // stack of free page ids; free[0 .. freeCount) are free
  private final boolean[] used;
  private int freeCount;

  PagePool(String name, int capacity) {
    if (capacity < 0) throw new IllegalArgumentException(name + " pool: negative capacity " + capacity);
    this.name = name;
    this.free = new int[capacity];
    this.used = new boolean[capacity];
    // Lowest ids on top of the stack, so a fresh pool hands out 0, 1, 2, ...
    for (int i = 0; i < capacity; i++) free[i] = capacity - 1 - i;
    this.freeCount = capacity;
  }

  String name() {
    return name;
  }

  int capacity() {
    return free.length;
  }

  int freePages() {
    return freeCount;
  }

  int usedPages() {
    return free.length - freeCount;
  }

  /** Takes one free page; throws when none is left (callers check {@link #freePages()} first). */
  int allocate() {
    if (freeCount == 0) throw new IllegalStateException(name + " KV pool: no free page (capacity " + free.length + ")");
    int id = free[--freeCount];
    used[id] = true;
    return id;
  }

  void release(int id) {
    if (id < 0 || id >= free.length) {
      throw new IllegalStateException(name + " KV pool: page id " + id + " outside 0.." + (free.length - 1));
    }
    if (!used[id]) throw new IllegalStateException(name + " KV pool: page " + id + " freed twice (or never allocated)");
    used[id] = false;
    free[freeCount++] = id;
  }
}
