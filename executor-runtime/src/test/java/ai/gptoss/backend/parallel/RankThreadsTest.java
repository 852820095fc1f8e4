package ai.gptoss.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ai.gptoss.backend.BackendException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A step on every rank at once: rank 0's result, or the error of the rank that failed by itself. */
class RankThreadsTest {
  @Test
  void theRanksRunAtOnceAndRankZerosResultIsReturned() {
    try (RankThreads threads = new RankThreads("test-rank", 4)) {
      InMemoryCollectives coll = new InMemoryCollectives(4);
      for (int step = 0; step < 3; step++) {
        // each rank waits in the all-reduce for the others: run one after another, this would never return
        float[] sum = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> threads.run(r -> {
          float[] v = {r + 1f};
          coll.allReduceSum(r, v);
          return r == 0 ? v : null;
        }, coll::abort));
        assertEquals(10f, sum[0]);
      }
    }
  }

  @Test
  void aFailingRankStopsTheOthersAndItsOwnErrorIsThrown() {
    try (RankThreads threads = new RankThreads("test-rank", 3)) {
      InMemoryCollectives coll = new InMemoryCollectives(3);
      IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(
          IllegalStateException.class, () -> threads.run(r -> {
            if (r == 2) throw new IllegalStateException("rank 2 broke");
            coll.allReduceSum(r, new float[1]); // ranks 0 and 1 wait for rank 2 until the abort ends their wait
            return null;
          }, coll::abort)));
      assertEquals("rank 2 broke", e.getMessage());
      BackendException err = assertThrows(BackendException.class, () -> threads.run(r -> {
        if (r == 1) throw new AssertionError("rank 1 assertion");
        return null;
      }, t -> {}));
      assertInstanceOf(AssertionError.class, err.getCause());
    }
  }
}
