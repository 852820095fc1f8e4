package ai.gptoss.batch;

import ai.gptoss.engine.Engine;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Streams rows through one {@link Engine} in input order, for every batch entry point ({@code generate
 * --input}, {@code spark-generate}, {@code gptoss()}): keeps at most {@code maxInFlight} of them unfinished in
 * the engine, refills as soon as any finishes (not only the oldest), and hands answers back in input order. A
 * row is handed back as soon as it and every row before it are done, so nothing waits for the whole input.
 * Finished rows waiting behind an unfinished older one are bounded ({@code maxBuffered} rows in all), so memory
 * does not grow with the input. Rows prepared together are submitted together ({@link Engine#submitAll}: they
 * join the same step).
 *
 * <p>Waiting is on a semaphore that each finishing request releases: no polling. {@link #close} cancels every
 * request of the window still in the engine (their KV pages are freed at once). Used by one thread; close may
 * come from any.
 */
public final class InFlightWindow<T> implements Iterator<InFlightWindow.Done<T>>, AutoCloseable {
  /**
   * A row turned into a request, the reason it cannot be one, or neither ({@link #SKIPPED}).
   *
   * @param label names the row in its answer's errors ({@code line 3 (id "x")})
   * @param error set instead of {@code request}: the row's error record, naming the row
   */
  public record Prepared(GenerationRequest request, String label, String error, int promptTokens) {
    /** A row not to answer: its answer is null. */
    public static final Prepared SKIPPED = new Prepared(null, null, null, 0);

    public static Prepared of(GenerationRequest request, String label) {
      return new Prepared(request, label, null, request.inputIds().length);
    }

    public static Prepared bad(String error, int promptTokens) {
      return new Prepared(null, null, error, promptTokens);
    }
  }

  /** A row with the request it ran (null when none did) and its answer (null for a {@link Prepared#SKIPPED} row). */
  public record Done<T>(T row, GenerationRequest request, Answer answer) {}

  private final Iterator<T> input;
  private final Function<T, Prepared> prepare;
  private final Engine engine;
  private final int maxInFlight;
  private final int maxBuffered;
  private final boolean harmony;
  private final Runnable whileWaiting;
  private final long checkMillis;
  private final ConcurrentLinkedDeque<Slot<T>> pending = new ConcurrentLinkedDeque<>();
  private final AtomicInteger running = new AtomicInteger();
  private final Semaphore finished = new Semaphore(0);
  private int held; // pending.size(), which a concurrent deque counts in linear time; owner thread only
  private volatile boolean closed;

  private static final class Slot<T> {
    final T row;
    final Prepared prepared;
    volatile RequestHandle handle;
    volatile GenerationResult result;

    Slot(T row, Prepared prepared) {
      this.row = row;
      this.prepared = prepared;
    }

    boolean done() {
      return prepared.request() == null || result != null;
    }
  }

  /**
   * @param maxInFlight most unfinished requests (at least 1)
   * @param maxBuffered most rows held, finished or not (at least {@code maxInFlight})
   * @param harmony parse answers as harmony ({@link Answer#of})
   */
  public InFlightWindow(Iterator<T> input, Function<T, Prepared> prepare, Engine engine, int maxInFlight, int maxBuffered,
      boolean harmony) {
    this(input, prepare, engine, maxInFlight, maxBuffered, harmony, null, 0);
  }

  /**
   * As above, running {@code whileWaiting} every {@code checkMillis} while no request finishes (a Spark task
   * checks there whether it was killed: a kill without interrupt only sets a flag); it may throw to abandon the
   * wait (close the window then).
   */
  public InFlightWindow(Iterator<T> input, Function<T, Prepared> prepare, Engine engine, int maxInFlight, int maxBuffered,
      boolean harmony, Runnable whileWaiting, long checkMillis) {
    this.harmony = harmony;
    this.input = input;
    this.prepare = prepare;
    this.engine = engine;
    this.maxInFlight = Math.max(1, maxInFlight);
    this.maxBuffered = Math.max(this.maxInFlight, maxBuffered);
    this.whileWaiting = whileWaiting;
    this.checkMillis = checkMillis;
  }

  /** Requests of this window now unfinished in the engine. */
  public int running() {
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
        held--;
        Prepared p = head.prepared;
        if (p.request() == null) {
          return new Done<>(head.row, null, p.error() == null ? null : Answer.failed(p.error(), p.promptTokens()));
        }
        return new Done<>(head.row, p.request(), Answer.of(p.label(), p.request(), head.result, harmony));
      }
      awaitAnyFinished();
    }
  }

  /** Prepares rows until {@code maxInFlight} requests are in the engine, the buffer is full or the input ends. */
  private void fill() {
    List<Slot<T>> submitting = new ArrayList<>();
    List<GenerationRequest> requests = new ArrayList<>();
    while (running.get() + requests.size() < maxInFlight && held < maxBuffered && input.hasNext()) {
      T row = input.next();
      Slot<T> slot = new Slot<>(row, prepare.apply(row));
      pending.addLast(slot);
      held++;
      if (slot.prepared.request() != null) {
        submitting.add(slot);
        requests.add(slot.prepared.request());
      }
    }
    if (requests.isEmpty()) return;
    running.addAndGet(requests.size());
    List<RequestHandle> handles = engine.submitAll(requests);
    for (int i = 0; i < handles.size(); i++) {
      Slot<T> slot = submitting.get(i);
      slot.handle = handles.get(i);
      slot.handle.result().whenComplete((r, ex) -> {
        slot.result = r != null ? r : GenerationResult.failed(slot.prepared.request().id(), slot.prepared.promptTokens(),
            "engine failed: " + (ex == null ? "no result" : ex.getMessage()));
        running.decrementAndGet();
        finished.release();
      });
      if (closed) slot.handle.cancel();
    }
  }

  private void awaitAnyFinished() {
    try {
      if (whileWaiting == null) {
        finished.acquire();
      } else {
        while (!finished.tryAcquire(checkMillis, TimeUnit.MILLISECONDS)) {
          if (closed) break;
          whileWaiting.run();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while waiting for the engine", e);
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
    if (closed) throw new IllegalStateException("the window's requests were cancelled (it was closed)");
    finished.drainPermits();
  }

  /** Cancels every unfinished request of this window. Idempotent; safe from any thread. */
  @Override
  public void close() {
    closed = true;
    for (Slot<T> s : pending) {
      RequestHandle h = s.handle;
      if (h != null && s.result == null) h.cancel();
    }
  }
}
