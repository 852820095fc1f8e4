package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KvManagerTest {
  @Test
  void snapshotsAreSharedWhileUnchangedAndNeverChangeAfterwards() {
    PagePool pool = new PagePool("sliding", 8);
    SlidingWindowKvManager m = new SlidingWindowKvManager(pool, 4, 4);
    PageTable t = new PageTable();
    m.grow(t, 8); // positions 0-7: two pages
    int[] a = t.snapshot();
    assertTrue(a == t.snapshot(), "an unchanged table gives the same snapshot");
    assertArrayEquals(new int[] {0, 1}, a);
    m.grow(t, 9);
    int[] b = t.snapshot();
    assertArrayEquals(new int[] {0, 1, 2}, b);
    m.afterStep(t, 9); // window 4: position 9 sees 6-9, so page 0 (0-3) is dead
    assertArrayEquals(new int[] {-1, 1, 2}, t.snapshot());
    assertArrayEquals(new int[] {0, 1, 2}, b, "an earlier step's snapshot is not touched");
    assertEquals(1, t.firstHeld());
    m.afterStep(t, 12); // sees 9-12: page 1 (4-7) dead
    assertEquals(2, t.firstHeld());
    assertEquals(1, t.held());
    m.freeAll(t);
    assertEquals(8, pool.freePages());
    assertEquals(0, t.length());
    assertEquals(0, t.firstHeld());
  }

  @Test
  void poolDetectsDoubleFreeAndForeignIds() {
    PagePool p = new PagePool("test", 3);
    int a = p.allocate(), b = p.allocate();
    assertEquals(1, p.freePages());
    p.release(a);
    IllegalStateException twice = assertThrows(IllegalStateException.class, () -> p.release(a));
    assertTrue(twice.getMessage().contains("freed twice"), twice.getMessage());
    assertThrows(IllegalStateException.class, () -> p.release(7));
    p.release(b);
    assertEquals(3, p.freePages());
    p.allocate();
    p.allocate();
    p.allocate();
    assertThrows(IllegalStateException.class, p::allocate);
  }

  @Test
  void slidingManagerReleasesExactlyThePagesBeforeTheWindow() {
    // window 8, page 4: after computing positions [0, n) the next query sees [n-7, n].
    PagePool pool = new PagePool("sliding", 16);
    SlidingWindowKvManager m = new SlidingWindowKvManager(pool, 4, 8);
    PageTable t = new PageTable();
    m.grow(t, 11); // positions 0..10: pages 0, 1, 2
    assertArrayEquals(new int[] {0, 1, 2}, t.snapshot());
    m.afterStep(t, 11); // next query at 11 sees 4..11: page 0 (0..3) is out
    assertArrayEquals(new int[] {-1, 1, 2}, t.snapshot());
    m.afterStep(t, 12); // sees 5..12: page 1 (4..7) still partly visible
    assertEquals(2, t.held());
    m.grow(t, 13);
    m.afterStep(t, 15); // sees 8..15: page 1 is out
    assertArrayEquals(new int[] {-1, -1, 2, 0}, t.snapshot()); // page id 0 came back to the pool and was reused
    assertEquals(SlidingWindowKvManager.firstVisible(15, 8), 8);
    assertEquals(SlidingWindowKvManager.firstVisible(3, 8), 0);
    m.freeAll(t);
    assertEquals(16, pool.freePages());
    assertEquals(0, t.length());
  }

  @Test
  void fullManagerKeepsEveryPage() {
    PagePool pool = new PagePool("full", 8);
    FullAttentionKvManager m = new FullAttentionKvManager(pool, 4);
    PageTable t = new PageTable();
    assertEquals(3, m.pagesToGrow(t, 9));
    m.grow(t, 9);
    m.afterStep(t, 9);
    m.grow(t, 32);
    m.afterStep(t, 32);
    assertEquals(8, t.held());
    assertEquals(0, pool.freePages());
  }

  @Test
  void maxPagesForChunkCoversEveryStart() {
    // Brute force: for every start position, the pages a chunk touches never exceed the bound.
    for (int page : new int[] {1, 3, 4, 16}) {
      for (int window : new int[] {1, 5, 8, 16, 128}) {
        for (int chunk : new int[] {1, 2, 7, 16, 33}) {
          int bound = SlidingWindowKvManager.maxPagesForChunk(chunk, window, page, Integer.MAX_VALUE);
          int seen = 0;
          for (int p0 = 0; p0 < 4 * (window + chunk + page); p0++) {
            int first = SlidingWindowKvManager.firstVisible(p0, window) / page;
            int last = (p0 + chunk - 1) / page;
            seen = Math.max(seen, last - first + 1);
          }
          assertEquals(bound, seen, "page " + page + " window " + window + " chunk " + chunk);
        }
      }
    }
  }
}
