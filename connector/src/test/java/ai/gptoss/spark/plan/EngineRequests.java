package ai.gptoss.spark.plan;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * Counts the rows that tasks submitted to a gpt-oss engine (the operator's {@value GptossEvalExec#ENGINE_REQUESTS}
 * metric, as each finished task reports it to the driver), on every executor of a session: in local mode and on a
 * cluster alike. Rows a downstream LIMIT cancelled after their submission are counted.
 */
public final class EngineRequests extends SparkListener {
  private final SparkSession spark;
  private final AtomicLong total = new AtomicLong();

  private EngineRequests(SparkSession spark) {
    this.spark = spark;
  }

  public static EngineRequests install(SparkSession spark) {
    EngineRequests r = new EngineRequests(spark);
    spark.sparkContext().addSparkListener(r);
    return r;
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    for (AccumulableInfo a : Scala.java(end.taskInfo().accumulables())) {
      if (a.name().isDefined() && a.name().get().equals(GptossEvalExec.ENGINE_REQUESTS) && a.update().isDefined()) {
        total.addAndGet(((Number) a.update().get()).longValue());
      }
    }
  }

  /** A result and the engine requests its computation made. */
  public record Counted<T>(T result, long requests) {}

  public <T> Counted<T> count(Supplier<T> action) {
    drain();
    long before = total.get();
    T result = action.get();
    drain();
    return new Counted<>(result, total.get() - before);
  }

  private void drain() {
    try {
      spark.sparkContext().listenerBus().waitUntilEmpty(60_000);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Spark's listener bus did not drain in 60 s", e);
    }
  }
}
