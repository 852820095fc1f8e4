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
  }

  /** Marks logical page {@code j} released and returns the page id it held (-1 if already released). */
  int clear(int logical) {
    int id = pages[logical];
    if (id >= 0) {
      pages[logical] = -1;
      held--;
    }
    return id;
  }

  /** Forgets every entry (after its pages went back to the pool). */
  void reset() {
    length = 0;
    held = 0;
  }

  /** A copy for the immutable step plan. */
  int[] snapshot() {
    return Arrays.copyOf(pages, length);
  }
}
