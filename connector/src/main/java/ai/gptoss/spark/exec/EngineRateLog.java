package ai.gptoss.spark.exec;

import ai.gptoss.engine.EngineStats;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs an executor engine's rate every {@value #PERIOD_SECONDS} s while it works: generated tokens/s over
 * the period, requests finished, running and waiting. Silent while the engine is idle.
 */
final class EngineRateLog implements AutoCloseable {
  static final long PERIOD_SECONDS = 10;
  private static final Logger LOG = LoggerFactory.getLogger(EngineRateLog.class);

  private final ScheduledExecutorService timer;
  private EngineStats last;

  EngineRateLog(String engine, Supplier<EngineStats> stats) {
    last = stats.get();
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "gptoss-engine-rate");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> {
      EngineStats now = stats.get();
      String line = line(engine, last, now, PERIOD_SECONDS);
      last = now;
      if (line != null) LOG.info(line);
    }, PERIOD_SECONDS, PERIOD_SECONDS, TimeUnit.SECONDS);
  }

  /** The log line for a period, or null when the engine did nothing in it. */
  static String line(String engine, EngineStats before, EngineStats now, double seconds) {
    long tokens = now.generatedTokens() - before.generatedTokens();
    long done = now.requestsDone() - before.requestsDone();
    if (tokens == 0 && done == 0 && now.running() == 0 && now.waiting() == 0) return null;
    return String.format(java.util.Locale.ROOT, "gptoss: %s: %.1f generated tokens/s over the last %.0f s, %d requests "
        + "finished, %d running, %d waiting", engine, tokens / seconds, seconds, done, now.running(), now.waiting());
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
