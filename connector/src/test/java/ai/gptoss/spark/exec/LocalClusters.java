package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;

/** What the tests on a {@code local-cluster[...]} master share: waiting for its executors to register. */
final class LocalClusters {
  private LocalClusters() {}

  /** Waits up to two minutes for {@code executors} executors besides the driver; fails the test otherwise. */
  static void awaitExecutors(SparkSession spark, int executors) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (spark.sparkContext().getExecutorMemoryStatus().size() < executors + 1 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(executors + 1, spark.sparkContext().getExecutorMemoryStatus().size(),
        "driver + " + executors + " executor(s) registered");
  }
}
