package ai.gptoss.spark.exec;

import ai.gptoss.backend.BackendException;
import ai.gptoss.batch.InFlightWindow;
import ai.gptoss.engine.FinishReason;
import java.util.Iterator;
import java.util.function.Function;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;

/**
 * One Spark task's rows through the executor's engine: the batch layer's {@link InFlightWindow} (ordered, at
 * most {@code maxInFlight} unfinished requests, results in input order) plus what is Spark's: the window's
 * size ({@code max_in_flight=auto} is the engine's sequences per step; {@code 2 * maxInFlight + 16} rows held
 * in all), the task's kill check while it waits, and a FAILED engine failing the task.
 *
 * <p>{@link #close} cancels every request still in the engine (their KV pages are freed at once); the window
 * registers it as a completion listener of its task, so a killed, failed or retried task, or one stopped early by a
 * downstream {@code LIMIT}, leaves nothing running.
 *
 * <p>A row whose request failed because the engine FAILED (a sticky device error) throws
 * {@link EngineFailedException} instead of giving an answer.
 */
public final class RequestWindow<T> implements Iterator<InFlightWindow.Done<T>>, AutoCloseable {
  /** How often a waiting task checks whether Spark killed it (a kill without interrupt only sets a flag). */
  private static final long KILL_CHECK_MILLIS = 50;

  private final ExecutorEngine engine;
  private final InFlightWindow<T> window;
  private long emitted, truncated;

  /** @param maxInFlight most unfinished requests; 0: the engine's sequences per step ({@code max_in_flight=auto}) */
  public RequestWindow(Iterator<T> input, Function<T, InFlightWindow.Prepared> prepare, ExecutorEngine engine,
      int maxInFlight, TaskContext task) {
    this.engine = engine;
    int n = maxInFlight > 0 ? maxInFlight : engine.maxSeqsPerStep();
    this.window = new InFlightWindow<>(input, prepare, engine.engine(), n, 2 * n + 16, true,
        task == null ? null : task::killTaskIfInterrupted, KILL_CHECK_MILLIS);
    if (task != null) task.addTaskCompletionListener((TaskCompletionListener) ctx -> close());
  }

  /** Rows handed back so far. */
  public long emitted() {
    return emitted;
  }

  /** Rows handed back that a limit cut off before the model finished ({@link ai.gptoss.batch.Answer#truncated}). */
  public long truncated() {
    return truncated;
  }

  /** Requests of this window now unfinished in the engine. */
  int running() {
    return window.running();
  }

  @Override
  public boolean hasNext() {
    return window.hasNext();
  }

  @Override
  public InFlightWindow.Done<T> next() {
    InFlightWindow.Done<T> d = window.next();
    failIfEngineFailed(d);
    emitted++;
    if (d.answer() != null && d.answer().truncated()) truncated++;
    return d;
  }

  /**
   * A request that ended in ERROR on a FAILED engine (a sticky device error) fails the task, whatever error_mode says:
   * Spark retries the task, possibly elsewhere, instead of the row getting a null answer.
   */
  private void failIfEngineFailed(InFlightWindow.Done<T> d) {
    BackendException f = engine.failure();
    if (f == null || d.request() == null || !FinishReason.ERROR.wireName().equals(d.answer().finishReason())) return;
    close();
    throw new EngineFailedException("gptoss: the engine on " + engine.device() + " failed with a device error ("
        + f.getMessage() + "); the task fails so that Spark retries it", f);
  }

  /** Cancels every unfinished request of this window. Idempotent; safe from any thread. */
  @Override
  public void close() {
    window.close();
  }
}
