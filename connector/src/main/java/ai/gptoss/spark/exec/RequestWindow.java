package ai.gptoss.spark.exec;

import ai.gptoss.backend.BackendException;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.spark.TaskContext;

/**
 * Streams one task's rows through the executor's engine: keeps at most {@code maxInFlight} of them
 * unfinished in the engine, refills as soon as any finishes (not only the oldest), and hands results back
 * in input order. A row is emitted as soon as it and every row before it are done, so nothing waits for
 * the whole partition. Finished rows waiting behind an unfinished older one are bounded too
 * ({@code 2 * maxInFlight + 16} rows in all), so memory does not grow with the partition.
 *
 * <p>{@link #close} cancels every request still in the engine (their KV pages are freed at once); the
 * task registers it as a completion listener, so a killed, failed or retried task, or one stopped early
 * by a downstream {@code LIMIT}, leaves nothing running.
 *
 * <p>A row whose request failed because the engine FAILED (a sticky device error) throws
 * {@link EngineFailedException} instead of giving an answer.
 */
public final class RequestWindow<T> implements Iterator<RequestWindow.Done<T>>, AutoCloseable {
  /** A row turned into a request, the reason it cannot be one, or neither ({@link #SKIPPED}). */
  public record Prepared(GenerationRequest request, String error, int promptTokens) {
    /** A row not to answer: its answer is null. */
    static final Prepared SKIPPED = new Prepared(null, null, 0);

    public static Prepared bad(String error, int promptTokens) {
      return new Prepared(null, error, promptTokens);
    }
  }

  /** A row with its answer (null for a {@link Prepared#SKIPPED} row). */
  public record Done<T>(T row, Answer answer) {}

  private static final long POLL_MILLIS = 50;

  private final Iterator<T> input;
  private final Function<T, Prepared> prepare;
  private final ExecutorEngine engine;
  private final int maxInFlight;
  private final int maxBuffered;
  private final TaskContext task;
  private final ArrayDeque<Slot<T>> pending = new ArrayDeque<>();
  private final AtomicInteger running = new AtomicInteger();
  private final Semaphore finished = new Semaphore(0);
  private volatile boolean closed;

  private static final class Slot<T> {
    final T row;
    final Prepared prepared;
    final RequestHandle handle;
    volatile GenerationResult result;

    Slot(T row, Prepared prepared, RequestHandle handle) {
      this.row = row;
      this.prepared = prepared;
      this.handle = handle;
    }

    boolean done() {
      return handle == null || result != null;
    }
  }

  /** @param maxInFlight most unfinished requests; 0: the engine's sequences per step ({@code max_in_flight=auto}) */
  public RequestWindow(Iterator<T> input, Function<T, Prepared> prepare, ExecutorEngine engine, int maxInFlight, TaskContext task) {
    this.input = input;
    this.prepare = prepare;
    this.engine = engine;
    this.maxInFlight = maxInFlight > 0 ? maxInFlight : engine.maxSeqsPerStep();
    this.maxBuffered = 2 * this.maxInFlight + 16;
    this.task = task;
  }

  /** Requests of this window now unfinished in the engine. */
  int running() {
    return running.get();
  }

  @Override
  public boolean hasNext() {
    return !closed && (!pending.isEmpty() || input.hasNext());
  }

  @Override
  public Done<T> next() {
    if (!hasNext()) throw new NoSuchElementException();
    while (true) {
      fill();
      Slot<T> head = pending.peekFirst();
      if (head != null && head.done()) {
        pending.pollFirst();
        Answer a;
        if (head.handle == null) {
          a = head.prepared.error() == null ? null
              : Answer.failed(head.prepared.error(), head.prepared.promptTokens(), engine.device());
        } else {
          failIfEngineFailed(head.result);
          a = engine.answer(head.result);
          GenerationRequest r = head.prepared.request();
          // A limit cut the row off before the model finished (ignore_eos rows, without stop tokens, are meant to).
          if ("length".equals(a.finishReason()) && a.error() == null && !r.stopTokenIds().isEmpty()) {
            a = a.withError(r.id() + ": " + MaxNewTokens.truncation(r.maxNewTokens(), a.completionTokens()));
          }
        }
        return new Done<>(head.row, a);
      }
      awaitAnyFinished();
    }
  }

  /**
   * A request that ended in ERROR on a FAILED engine (a sticky device error) fails the task, whatever error_mode says:
   * Spark retries the task, possibly elsewhere, instead of the row getting a null answer.
   */
  private void failIfEngineFailed(GenerationResult r) {
    BackendException f = engine.failure();
    if (f == null || r.finishReason() != FinishReason.ERROR) return;
    close();
    throw new EngineFailedException("gptoss: the engine on " + engine.device() + " failed with a device error ("
        + f.getMessage() + "); the task fails so that Spark retries it", f);
  }

  private void fill() {
    while (running.get() < maxInFlight && pending.size() < maxBuffered && input.hasNext()) {
      T row = input.next();
      Prepared p = prepare.apply(row);
      if (p.request() == null) {
        pending.addLast(new Slot<>(row, p, null));
        continue;
      }
      running.incrementAndGet();
      RequestHandle h = engine.submit(p.request());
      Slot<T> slot = new Slot<>(row, p, h);
      pending.addLast(slot);
      h.result().whenComplete((r, ex) -> {
        slot.result = r != null ? r : GenerationResult.failed(p.request().id(), p.promptTokens(),
            "engine failed: " + (ex == null ? "no result" : ex.getMessage()));
        running.decrementAndGet();
        finished.release();
      });
    }
  }

  private void awaitAnyFinished() {
    try {
      while (!finished.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        if (task != null) task.killTaskIfInterrupted();
        if (closed) throw new IllegalStateException("gptoss: the task's requests were cancelled");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("gptoss: interrupted while waiting for the engine", e);
    }
    finished.drainPermits();
  }

  /** Cancels every unfinished request of this window. Idempotent; safe from any thread. */
  @Override
  public void close() {
    closed = true;
    for (Slot<T> s : pending.toArray(Slot[]::new)) {
      if (s.handle != null && s.result == null) s.handle.cancel();
    }
  }
}
