package ai.gptoss.engine;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * A pool of fixed-size KV pages, identified by 0..capacity-1, with reference counts and an optional
 * content index for automatic prefix caching (vLLM's BlockPool).
 *
 * <p>A page is in one of three states: free (on the free stack), referenced (held by at least one
 * sequence's table; {@code refs > 0}) or cached-idle (no reference, but it still holds the K/V of a
 * registered {@link PageKey}; it sits in an LRU queue and is reused, losing its key, only when the
 * free stack is empty). {@link #freePages()} counts free and cached-idle pages: both can be handed
 * out. A page gets a key once the sequence that wrote it computed all its positions ({@link
 * #register}); a second page with the same key keeps none (the first one serves later hits).
 *
 * <p>Releasing a page that holds no reference, or one that was never handed out, is a bug in the
 * engine and throws at once instead of silently corrupting another sequence's cache.
 *
 * <p>Not thread-safe: only the engine loop touches it.
 */
final class PagePool {
  private final String name;
  private final int[] free; // stack of free page ids; free[0 .. freeCount) are free
  private final int[] refs;
  private final PageKey[] keys;
  private final Map<PageKey, Integer> index = new HashMap<>();
  private final LinkedHashSet<Integer> idle = new LinkedHashSet<>(); // cached, unreferenced; oldest first
  private int freeCount;
  private int referenced;
  private long evictions;

  PagePool(String name, int capacity) {
    if (capacity < 0) throw new IllegalArgumentException(name + " pool: negative capacity " + capacity);
    this.name = name;
    this.free = new int[capacity];
    this.refs = new int[capacity];
    this.keys = new PageKey[capacity];
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

  /** Pages that can be handed out: free ones and cached pages nobody references. */
  int freePages() {
    return freeCount + idle.size();
  }

  /** Pages referenced by at least one sequence. */
  int usedPages() {
    return referenced;
  }

  /** Pages on the free stack only (cached-idle pages excluded). */
  int uncachedFreePages() {
    return freeCount;
  }

  /** Pages holding a registered key (referenced or idle). */
  int cachedPages() {
    return index.size();
  }

  long evictions() {
    return evictions;
  }

  /** Takes one page (a free one, else the least recently used idle cached page, which loses its key). */
  int allocate() {
    int id;
    if (freeCount > 0) {
      id = free[--freeCount];
    } else if (!idle.isEmpty()) {
      var it = idle.iterator();
      id = it.next();
      it.remove();
      index.remove(keys[id]);
      keys[id] = null;
      evictions++;
    } else {
      throw new IllegalStateException(name + " KV pool: no free page (capacity " + free.length + ")");
    }
    refs[id] = 1;
    referenced++;
    return id;
  }

  /** References held on page {@code id} (tests check them against the sequences' page tables). */
  int refCount(int id) {
    return refs[id];
  }

  /** The cached page holding {@code key}, or -1. */
  int lookup(PageKey key) {
    Integer id = index.get(key);
    return id == null ? -1 : id;
  }

  /** True when {@code id} is cached and unreferenced: taking it uses one of {@link #freePages()}. */
  boolean isIdle(int id) {
    return refs[id] == 0;
  }

  /** Adds a reference to a cached page found by {@link #lookup}. */
  void acquire(int id) {
    if (keys[id] == null) throw new IllegalStateException(name + " KV pool: page " + id + " is not cached");
    if (refs[id]++ == 0) {
      idle.remove(id);
      referenced++;
    }
  }

  /** Publishes a fully computed page under {@code key}, unless the page or the key is already cached. */
  void register(int id, PageKey key) {
    if (refs[id] == 0) throw new IllegalStateException(name + " KV pool: registering unreferenced page " + id);
    if (keys[id] != null || index.containsKey(key)) return;
    keys[id] = key;
    index.put(key, id);
  }

  /** Drops one reference; an unreferenced page goes to the idle LRU queue when cached, else to the free stack. */
  void release(int id) {
    if (id < 0 || id >= free.length) {
      throw new IllegalStateException(name + " KV pool: page id " + id + " outside 0.." + (free.length - 1));
    }
    if (refs[id] == 0) throw new IllegalStateException(name + " KV pool: page " + id + " freed twice (or never allocated)");
    if (--refs[id] > 0) return;
    referenced--;
    if (keys[id] != null) idle.add(id);
    else free[freeCount++] = id;
  }

  /** Forgets every idle cached page (they go back to the free stack); referenced pages keep their keys. */
  void clearCache() {
    for (int id : idle) {
      index.remove(keys[id]);
      keys[id] = null;
      free[freeCount++] = id;
    }
    idle.clear();
  }
}
