package ai.gptoss.spark.generate;

import ai.gptoss.batch.Progress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Driver-side progress of a command's Spark job on stderr ({@link Progress}): rows written so far (from the
 * tasks' output metrics, so it moves as tasks finish) of the total, and generated tokens/s from the
 * tasks' {@value #TOKENS} metric (the operator's, or spark-generate's accumulator of that name). Driver only.
 */
public final class JobProgress extends SparkListener implements AutoCloseable {
  /** Name of the metric or accumulator that counts generated tokens. */
  public static final String TOKENS = "generated tokens";

  private final SparkContext sc;
  private final Progress progress;
  private final long total;
  private final AtomicLong rows = new AtomicLong();
  private final AtomicLong tokens = new AtomicLong();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "gptoss-progress");
    t.setDaemon(true);
    return t;
  });

  private JobProgress(SparkContext sc, String label, long totalRows) {
    this.sc = sc;
    this.total = totalRows;
    this.progress = new Progress(label, totalRows, System.err, Progress.onTerminal());
  }

  /** Starts reporting until {@link #close}. */
  public static JobProgress start(SparkSession spark, String label, long totalRows) {
    JobProgress p = new JobProgress(spark.sparkContext(), label, totalRows);
    spark.sparkContext().addSparkListener(p);
    p.timer.scheduleAtFixedRate(() -> {
      synchronized (p.progress) {
        p.progress.update(p.rows.get(), p.tokens.get());
      }
    }, 200, 200, TimeUnit.MILLISECONDS);
    return p;
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd e) {
    if (e.taskMetrics() != null) rows.addAndGet(e.taskMetrics().outputMetrics().recordsWritten());
    if (e.taskInfo() == null) return;
    for (AccumulableInfo a : CollectionConverters.asJava(e.taskInfo().accumulables())) {
      if (a.name().isDefined() && TOKENS.equals(a.name().get()) && a.update().isDefined()
          && a.update().get() instanceof Number n) {
        tokens.addAndGet(n.longValue());
      }
    }
  }

  @Override
  public void close() {
    // Task-end events reach listeners asynchronously: give the last ones a moment to arrive.
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (total >= 0 && rows.get() < total && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    timer.shutdownNow();
    sc.removeSparkListener(this);
    synchronized (progress) {
      progress.finish(rows.get(), tokens.get());
    }
  }
}
