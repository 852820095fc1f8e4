package ai.gptoss.engine;

import java.util.HashMap;
import java.util.Map;

/**
 * In-flight prefix sharing (what SGLang's radix cache achieves by scheduling): the prompt pages that
 * running sequences are computing in the step being planned, by key. A page is in flight from the
 * step that allocates it (its tokens all known, so its {@link PageKey} is) until the step that
 * completes it registers it in the cache.
 *
 * <p>A waiting sequence whose first uncached page is in flight would compute that page a second time;
 * the scheduler defers it instead: it stays in the queue, holding no page, and the requests behind it
 * may be admitted. Once the page is registered, the deferred sequence is served it from the cache. A
 * deferral only ever waits on a running sequence, which is planned before any admission of its step,
 * so it always makes progress; if it leaves (preempted, cancelled, finished, failed) it is no longer in
 * the index built for the next step, and the deferred sequence proceeds, computing the page itself.
 *
 * <p>Built afresh by every {@link Scheduler#schedule} that admits: after the running sequences got
 * this step's pages, and updated with each sequence admitted in the same step.
 */
final class InFlightPrefixes {
  private final int pageSize;
  private final Map<PageKey, Sequence> computing = new HashMap<>();

  InFlightPrefixes(int pageSize) {
    this.pageSize = pageSize;
  }

  /** Indexes the pages {@code s} holds but has not registered yet whose tokens are all known. */
  void add(Sequence s) {
    for (int j = s.registeredPages; j < s.fullPages.length() && (j + 1) * (long) pageSize <= s.length(); j++) {
      computing.putIfAbsent(s.pageKey(j, pageSize), s);
    }
  }

  /**
   * True when waiting sequence {@code s}, whose cache hit is {@code hit}, should wait: the first of its
   * full-attention pages that the cache does not hold is being computed by another sequence. Remembers
   * that page in {@link Sequence#deferredOn}, so that later steps skip the lookup while it is in flight.
   */
  boolean defers(Sequence s, PrefixCache.Hit hit) {
    s.deferredOn = null;
    int next = hit.fullRun();
    if (next >= (s.length() - 1) / pageSize) return false; // nothing more the cache could serve
    PageKey key = s.pageKey(next, pageSize);
    Sequence owner = computing.get(key);
    s.deferredOn = owner == null || owner == s ? null : key;
    return s.deferredOn != null;
  }

  /** True when {@code s} was deferred on a page that is still in flight: no need to look it up again. */
  boolean stillDeferred(Sequence s) {
    return s.deferredOn != null && computing.containsKey(s.deferredOn);
  }
}
