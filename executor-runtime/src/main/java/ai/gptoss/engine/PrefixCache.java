package ai.gptoss.engine;

/**
 * Automatic prefix caching over the two page pools (vLLM's KVCacheManager with its full-attention
 * and sliding-window coordinators). Every fully computed page of a sequence is registered in its pool
 * under a {@link PageKey} that names its tokens and everything before them; a new (or preempted)
 * sequence starts at the longest page-aligned point {@code L} that the cache can serve, and computes
 * only the rest.
 *
 * <p>What a continuation at {@code L} needs: in full-attention layers, every page of {@code [0, L)};
 * in sliding-window layers only the pages that hold {@code [L - window + 1, L)}, the positions the
 * token at {@code L} attends to (window 128, page 16: the last 8 pages), and nothing more. The earlier
 * sliding entries of the table stay released (-1), as if the sequence had computed them and let them
 * fall out of the window. A cached sliding page therefore only matters near the end of some prefix; a
 * request that released it (it fell out of its window) leaves it cached but idle, and the LRU queue
 * reclaims it first when memory is needed. Hits never cost memory the pools would otherwise have had
 * free: idle cached pages are counted as free and evicted on demand.
 *
 * <p>At least one token is always computed (the hit stops before the sequence's last known token), so
 * the step that continues it produces logits. Positions are absolute, so attention sinks and YaRN
 * rotary positions are those of an uncached run.
 */
final class PrefixCache {
  /**
   * Pages a sequence can take from the cache: {@code pages} full pages from 0, sliding pages from {@code firstSliding}.
   * {@code fullRun}: the leading full-attention pages the cache holds ({@code >= pages}; more when sliding pages are
   * missing), so page {@code fullRun} is the first one the cache does not hold.
   */
  record Hit(int pages, int[] fullIds, int firstSliding, int[] slidingIds, int idleFull, int idleSliding, int fullRun) {
    static final Hit NONE = new Hit(0, new int[0], 0, new int[0], 0, 0, 0);
  }

  private final KvManager full;
  private final KvManager sliding;
  private final int window;
  private final int pageSize;
  private final boolean enabled;
  private long queriedTokens;
  private long hitTokens;

  PrefixCache(KvManager full, KvManager sliding, int window, boolean enabled) {
    this.full = full;
    this.sliding = sliding;
    this.window = window;
    this.pageSize = full.pageSize;
    this.enabled = enabled;
  }

  boolean enabled() {
    return enabled;
  }

  /** Prompt tokens looked up so far, and how many of them the cache served. */
  long queriedTokens() {
    return queriedTokens;
  }

  long hitTokens() {
    return hitTokens;
  }

  /** The longest hit for {@code s}, which holds no page yet; nothing is acquired. */
  Hit find(Sequence s) {
    if (!enabled || s.length() <= pageSize) return Hit.NONE;
    int maxPages = (s.length() - 1) / pageSize;
    int[] fullIds = new int[maxPages];
    int n = 0;
    while (n < maxPages && (fullIds[n] = full.pool.lookup(s.pageKey(n, pageSize))) >= 0) n++;
    int fullRun = n;
    for (; n > 0; n--) {
      int first = SlidingWindowKvManager.firstVisible(n * pageSize, window) / pageSize;
      int[] slidingIds = new int[n - first];
      boolean all = true;
      for (int j = first; j < n && all; j++) {
        slidingIds[j - first] = sliding.pool.lookup(s.pageKey(j, pageSize));
        all = slidingIds[j - first] >= 0;
      }
      if (!all) continue;
      int[] fullHit = java.util.Arrays.copyOf(fullIds, n);
      int idleFull = 0, idleSliding = 0;
      for (int id : fullHit) if (full.pool.isIdle(id)) idleFull++;
      for (int id : slidingIds) if (sliding.pool.isIdle(id)) idleSliding++;
      return new Hit(n, fullHit, first, slidingIds, idleFull, idleSliding, fullRun);
    }
    return fullRun == 0 ? Hit.NONE : new Hit(0, new int[0], 0, new int[0], 0, 0, fullRun);
  }

  /** True when {@code s} can take {@code hit} and then map positions up to {@code end - 1}. */
  boolean fits(Hit hit, int end) {
    int pages = (end + pageSize - 1) / pageSize - hit.pages();
    return pages + hit.idleFull() <= full.pool.freePages() && pages + hit.idleSliding() <= sliding.pool.freePages();
  }

  /** Gives {@code s} (holding no page) the hit's pages and marks their tokens computed. */
  void acquire(Sequence s, Hit hit) {
    for (int id : hit.fullIds()) {
      full.pool.acquire(id);
      s.fullPages.append(id);
    }
    for (int j = 0; j < hit.firstSliding(); j++) s.slidingPages.appendReleased();
    for (int id : hit.slidingIds()) {
      sliding.pool.acquire(id);
      s.slidingPages.append(id);
    }
    s.numComputed = hit.pages() * pageSize;
    s.registeredPages = hit.pages();
    if (s.cachedTokens < 0) {
      s.cachedTokens = s.numComputed;
      queriedTokens += s.promptLen;
      hitTokens += s.numComputed;
    }
  }

  /** Registers the pages {@code s} has fully computed since the last call (before any of them is released). */
  void register(Sequence s) {
    if (!enabled) return;
    int done = s.numComputed / pageSize;
    for (int j = s.registeredPages; j < done; j++) {
      PageKey key = s.pageKey(j, pageSize);
      full.pool.register(s.fullPages.get(j), key);
      int sl = s.slidingPages.get(j);
      if (sl >= 0) sliding.pool.register(sl, key);
    }
    s.registeredPages = Math.max(s.registeredPages, done);
  }

  /** Drops every cached page that no sequence references. */
  void clear() {
    full.pool.clearCache();
    sliding.pool.clearCache();
  }
}
