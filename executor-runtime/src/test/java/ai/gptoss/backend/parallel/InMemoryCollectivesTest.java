package ai.gptoss.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.Golden;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** The in-memory collectives over rank threads: results in rank order on every rank, and a failed rank stops the rest. */
class InMemoryCollectivesTest {
  /** Runs {@code body} as ranks 0..n-1 on n threads; returns each rank's result or exception. */
  static List<Object> onRanks(int n, IntFunction<Object> body) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Object>> fs = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        fs.add(pool.submit(() -> body.apply(rank)));
      }
      List<Object> out = new ArrayList<>();
      for (Future<Object> f : fs) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          out.add(e.getCause());
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void allReduceSumsInRankOrderOnEveryRank() throws Exception {
    // (1e8 + 1) - 1e8 is 0 in float32 while 1e8 - 1e8 + 1 is 1: the order shows in the result.
    float[][] in = {{1e8f, 2f}, {1f, 3f}, {-1e8f, 4f}};
    InMemoryCollectives c = new InMemoryCollectives(3);
    List<Object> got = onRanks(3, r -> {
      float[] buf = in[r].clone();
      c.allReduceSum(r, buf);
      return buf;
    });
    for (Object o : got) assertArrayEquals(new float[] {0f, 9f}, (float[]) o);
  }

  @Test
  void allGatherAndAllToAllDeliverByRank() throws Exception {
    InMemoryCollectives c = new InMemoryCollectives(3);
    List<Object> got = onRanks(3, r -> {
      float[][] gathered = c.allGather(r, new float[r + 1]);
      float[][] send = new float[3][];
      for (int d = 0; d < 3; d++) send[d] = new float[] {10 * r + d};
      float[][] received = c.allToAll(r, send);
      for (int s = 0; s < 3; s++) {
        assertEquals(s + 1, gathered[s].length);
        assertArrayEquals(new float[] {10 * s + r}, received[s], "rank " + r + " from " + s);
      }
      return "ok";
    });
    assertEquals(List.of("ok", "ok", "ok"), got);
  }

  @Test
  void aFailedRankEndsTheOthersWaitInsteadOfHangingThem() {
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      InMemoryCollectives c = new InMemoryCollectives(4);
      IllegalStateException boom = new IllegalStateException("rank 2 ran out of memory");
      List<Object> got = onRanks(4, r -> {
        if (r == 2) {
          c.abort(boom);
          throw boom;
        }
        c.allReduceSum(r, new float[1]); // ranks 0, 1, 3 wait for rank 2
        c.allReduceSum(r, new float[1]); // and a later call does not wait either
        return "returned";
      });
      for (int r : new int[] {0, 1, 3}) {
        InMemoryCollectives.CollectiveAbortedException e = assertInstanceOf(
            InMemoryCollectives.CollectiveAbortedException.class, got.get(r), "rank " + r);
        assertTrue(e.getMessage().contains("rank 2 ran out of memory"), e.getMessage());
      }
      assertEquals(boom, got.get(2));
    });
  }

  @Test
  void mismatchedCallsFailOnEveryRankNamingThem() {
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      InMemoryCollectives lengths = new InMemoryCollectives(2);
      for (Object o : onRanks(2, r -> {
        lengths.allReduceSum(r, new float[2 + r]);
        return "returned";
      })) {
        assertInstanceOf(InMemoryCollectives.CollectiveAbortedException.class, o);
        assertTrue(((Exception) o).getMessage().contains("rank 1 gave 3 floats, rank 0 2"), ((Exception) o).getMessage());
      }
      InMemoryCollectives ops = new InMemoryCollectives(2);
      for (Object o : onRanks(2, r -> r == 0 ? ops.allGather(r, new float[1]) : ops.allToAll(r, new float[2][1]))) {
        assertTrue(((Exception) o).getMessage().contains("rank 1 called allToAll while rank 0 called allGather"),
            ((Exception) o).getMessage());
      }
    });
  }

  @Test
  void aStepThatFailsOnTheRanksThrowsItsErrorAndTheTwinGoesOn() {
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"));
        ParallelCpuBackend b = ParallelCpuBackend.load(ckpt, new ParallelPlan(2, true), 64L << 20, KvCacheDtype.AUTO)) {
      assertThrows(BackendException.class, () -> b.step(batch(new int[] {5, 6})), "before allocateKvCache");
      b.allocateKvCache(new KvCacheSpec(16, 2, 2));
      StepBatch unmapped = new StepBatch(new int[] {5}, new int[] {40}, new int[] {0, 1}, new int[][] {{0, 1}},
          new int[][] {{0, 1}}, new int[] {0}, new SamplingParams[] {SamplingParams.greedy()}, false);
      BackendException e = assertThrows(BackendException.class, () -> b.step(unmapped));
      assertTrue(e.getMessage().contains("KV page for position 40 is not mapped"), e.getMessage());
      int next = b.step(batch(new int[] {5, 6})).sampled()[0];
      try (ParallelCpuBackend fresh = ParallelCpuBackend.load(ckpt, new ParallelPlan(2, true), 64L << 20, KvCacheDtype.AUTO)) {
        assertEquals(new SingleSequence(fresh, 2).feed(new int[] {5, 6}, false, SamplingParams.greedy()).sampled()[0], next);
      }
    }
  }

  private static StepBatch batch(int[] tokens) {
    int[] pos = new int[tokens.length];
    for (int i = 0; i < pos.length; i++) pos[i] = i;
    return new StepBatch(tokens, pos, new int[] {0, tokens.length}, new int[][] {{0, 1}}, new int[][] {{0, 1}},
        new int[] {tokens.length - 1}, new SamplingParams[] {SamplingParams.greedy()}, false);
  }
}
