package ai.gptoss.engine;

import java.util.Arrays;

/**
 * One sequence's page table for one attention type: logical page {@code j} holds positions
 * {@code [j*pageSize, (j+1)*pageSize)}; entry -1 means the page was released (sliding layers) and
 * its positions may no longer be read.
 */
final class PageTable {
  private int[] pages = new int[4];
  private int length;
  private int held;
  private int firstHeld; // entries before it are all released
  private int[] snapshot; // the last snapshot while the table has not changed since, else null

  /** Number of logical pages mapped so far, released ones included. */
  int length() {
    return length;
  }

  /** Number of pages this table holds in its pool. */
  int held() {
    return held;
  }

  int get(int logical) {
    return pages[logical];
  }

  void append(int pageId) {
    if (length == pages.length) pages = Arrays.copyOf(pages, pages.length * 2);
    pages[length++] = pageId;
    held++;
    snapshot = null;
  }

  /** Appends an entry that is already released (-1): a prefix-cache hit whose position the sliding window left. */
  void appendReleased() {
    if (length == pages.length) pages = Arrays.copyOf(pages, pages.length * 2);
    pages[length++] = -1;
    if (firstHeld == length - 1) firstHeld = length;
    snapshot = null;
  }

  /** Entries before this index are all released (sliding layers release from the front). */
  int firstHeld() {
    return firstHeld;
  }

  /** Marks logical page {@code j} released and returns the page id it held (-1 if already released). */
  int clear(int logical) {
    int id = pages[logical];
    if (id >= 0) {
      pages[logical] = -1;
      held--;
      snapshot = null;
      while (firstHeld < length && pages[firstHeld] < 0) firstHeld++;
    }
    return id;
  }

  /** Forgets every entry (after its pages went back to the pool). */
  void reset() {
    length = 0;
    held = 0;
    firstHeld = 0;
    snapshot = null;
  }

  /**
   * A copy for the immutable step plan, shared by the plans of consecutive steps while the table does
   * not change (a decoding sequence's tables change once a page of tokens): nobody writes to it.
   */
  int[] snapshot() {
    if (snapshot == null) snapshot = Arrays.copyOf(pages, length);
    return snapshot;
  }
}
