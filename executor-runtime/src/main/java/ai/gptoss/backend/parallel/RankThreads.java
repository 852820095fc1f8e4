package ai.gptoss.backend.parallel;

import ai.gptoss.backend.BackendException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The threads of an engine's ranks (the CPU twin's simulated ranks, or one per GPU): a step runs on every rank at
 * once, each on its own thread, since each waits in the collectives for the others. A rank that fails aborts the
 * collectives, so the others stop instead of waiting; the step then throws the error of the first rank that failed by
 * itself, not that of one stopped because another did.
 */
public final class RankThreads implements AutoCloseable {
  private final int ranks;
  private final ExecutorService threads;

  /** {@code ranks} daemon threads named {@code prefix-0}, {@code prefix-1}, ... */
  public RankThreads(String prefix, int ranks) {
    this.ranks = ranks;
    AtomicInteger next = new AtomicInteger();
    threads = Executors.newFixedThreadPool(ranks, task -> {
      Thread t = new Thread(task, prefix + "-" + next.getAndIncrement());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Runs {@code step} for every rank at once and returns rank 0's result. When a rank fails, {@code abort} is called
   * with its error (it must end every rank's waits in the collectives) and this throws the first rank's own error.
   */
  public <T> T run(IntFunction<T> step, Consumer<Throwable> abort) {
    List<Future<T>> running = new ArrayList<>();
    for (int r = 0; r < ranks; r++) {
      int rank = r;
      running.add(threads.submit(() -> {
        try {
          return step.apply(rank);
        } catch (RuntimeException | Error e) {
          abort.accept(e);
          throw e;
        }
      }));
    }
    T result = null;
    Throwable failed = null;
    for (int r = 0; r < running.size(); r++) {
      try {
        T got = running.get(r).get();
        if (r == 0) result = got;
      } catch (ExecutionException e) {
        // the first rank that failed by itself, not one that stopped because another did
        if (failed == null || failed instanceof InMemoryCollectives.CollectiveAbortedException) failed = e.getCause();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        abort.accept(e);
        failed = e;
      }
    }
    if (failed instanceof RuntimeException re) throw re;
    if (failed != null) throw new BackendException("a rank failed: " + failed, failed);
    return result;
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
