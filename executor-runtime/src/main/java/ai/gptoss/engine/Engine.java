package ai.gptoss.engine;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.StepResult;
import ai.gptoss.model.ModelConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A resident generation engine over one {@link Backend}: any number of threads submit requests,
 * one loop thread runs steps with continuous batching (see {@link Scheduler}) over a paged KV cache.
 *
 * <p>Lifecycle: {@link #start} allocates the backend's KV pools and starts the loop thread (a daemon
 * named {@code gptoss-engine-<backend>}); {@link #close} cancels every request still in it, frees all
 * pages and stops the thread. The engine does not close the backend; its creator does, after the
 * engine.
 *
 * <p>Results: {@link #submit} returns at once. A request's future completes on the loop thread once the
 * request has left the engine and its pages are back in the pool (so callbacks attached with the
 * non-async {@code CompletableFuture} methods run on the loop thread and must be quick). Invalid
 * requests complete at once with {@link FinishReason#ERROR} and a message that names the problem
 * ({@link RequestChecks}, the one check of a request);
 * submit never throws. A backend failure in a step fails the requests of that step (ERROR, pages
 * freed); the engine keeps serving the others.
 *
 * <p>FAILED: a sticky device error in a step ({@link BackendException#sticky()}: an illegal address, a
 * kernel trap, a lost device; the device cannot run anything after it) fails every request in the engine
 * with that cause, rejects every later request the same way and stops the loop thread; {@link #failure()}
 * returns the cause. The engine cannot recover: its creator closes it and, if the device works again,
 * starts a new one.
 */
public final class Engine implements AutoCloseable {
  private final Backend backend;
  private final EngineConfig config;
  private final ModelConfig model;
  private final Scheduler scheduler;
  private final Consumer<EngineStats> afterStep;
  private final Thread loop;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final ArrayDeque<Sequence> arrivals = new ArrayDeque<>(); // guarded by lock
  private final ArrayDeque<Sequence> cancels = new ArrayDeque<>(); // guarded by lock
  private boolean closed; // guarded by lock
  private final List<CompletableFuture<Void>> clearCache = new ArrayList<>(); // guarded by lock
  private volatile BackendException failure; // set once, by the loop thread: the engine is FAILED
  private final AtomicLong seqNo = new AtomicLong();
  private static final GenerationRequest NULL_REQUEST = GenerationRequest.greedy(null, new int[0], 1, List.of());
  private final EngineCounters counters;

  private Engine(Backend backend, EngineConfig resolved, Consumer<EngineStats> afterStep) {
    this.backend = backend;
    this.config = resolved;
    this.model = backend.config();
    this.afterStep = afterStep;
    this.scheduler = new Scheduler(resolved, model.slidingWindow());
    backend.allocateKvCache(new KvCacheSpec(resolved.pageSize(), resolved.fullPages(), resolved.slidingPages()));
    this.counters = new EngineCounters(scheduler);
    this.loop = new Thread(this::run, "gptoss-engine-" + backend.name());
    loop.setDaemon(true);
    // The loop outlives whatever created it (a Spark task, perhaps inside a SQL write whose context class
    // loader routes java.util.logging records nowhere): it logs through the engine's own class loader.
    loop.setContextClassLoader(Engine.class.getClassLoader());
  }

  /**
   * Allocates the KV pools on {@code backend} (sized by {@link EngineConfig#resolve}) and starts the
   * loop thread. The backend must be fresh: its KV cache is allocated once.
   */
  public static Engine start(Backend backend, EngineConfig config) {
    return start(backend, config, null);
  }

  /**
   * As {@link #start(Backend, EngineConfig)}, calling {@code afterStep} on the loop thread after every
   * step (tests and benchmarks observe steps with it; it must be quick).
   */
  public static Engine start(Backend backend, EngineConfig config, Consumer<EngineStats> afterStep) {
    Engine e = new Engine(backend, config.resolve(backend), afterStep);
    e.loop.start();
    return e;
  }

  /** The configuration in effect, with pool sizes and max model length filled in. */
  public EngineConfig config() {
    return config;
  }

  public Backend backend() {
    return backend;
  }

  /** Queues a request; thread-safe, returns at once, never throws. */
  public RequestHandle submit(GenerationRequest request) {
    return submitAll(List.of(request == null ? NULL_REQUEST : request)).get(0);
  }

  /**
   * Queues several requests at once: they join at the same step boundary, in list order (the CLI
   * and tests use this to make arrival deterministic). Thread-safe, never throws.
   */
  public List<RequestHandle> submitAll(List<GenerationRequest> requests) {
    List<RequestHandle> handles = new ArrayList<>(requests.size());
    List<Sequence> accepted = new ArrayList<>(requests.size());
    int maxLength = (int) Math.min(config.maxModelLen(), (long) config.fullPages() * config.pageSize());
    for (GenerationRequest request : requests) {
      String invalid = request == null || request == NULL_REQUEST ? "request is null"
          : RequestChecks.problem(request, model.vocabSize(), config);
      if (invalid != null) {
        counters.reject();
        String id = request == null ? null : request.id();
        int promptLen = request == null || request.inputIds() == null ? 0 : request.inputIds().length;
        handles.add(completed(GenerationResult.failed(id, promptLen, invalid)));
        continue;
      }
      ai.gptoss.structured.AnswerConstraint constraint = null;
      if (request.responseFormat() != null) {
        try {
          constraint = ai.gptoss.structured.AnswerConstraint.start(request.responseFormat(), request.inputIds(), model.vocabSize());
        } catch (RuntimeException e) {
          counters.reject();
          handles.add(completed(GenerationResult.failed(request.id(), request.inputIds().length,
              "request " + request.id() + ": " + e.getMessage())));
          continue;
        }
      }
      Sequence[] self = new Sequence[1];
      Sequence s = new Sequence(request, seqNo.getAndIncrement(), request.inputIds().clone(), maxLength,
          () -> requestCancel(self[0]), constraint);
      self[0] = s;
      handles.add(s);
      accepted.add(s);
    }
    lock.lock();
    try {
      if (closed) {
        for (int i = 0; i < handles.size(); i++) {
          if (handles.get(i) instanceof Sequence s) {
            counters.reject();
            handles.set(i, completed(GenerationResult.failed(s.id(), s.promptLen, closedReason())));
          }
        }
        return handles;
      }
      arrivals.addAll(accepted);
      if (!accepted.isEmpty()) wake.signal();
    } finally {
      lock.unlock();
    }
    return handles;
  }

  private static RequestHandle completed(GenerationResult result) {
    CompletableFuture<GenerationResult> f = CompletableFuture.completedFuture(result);
    return new RequestHandle() {
      @Override
      public CompletableFuture<GenerationResult> result() {
        return f;
      }

      @Override
      public void cancel() {}
    };
  }

  private void requestCancel(Sequence s) {
    lock.lock();
    try {
      cancels.add(s);
      wake.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Drops every cached prefix page that no running request references (vLLM's reset_prefix_cache):
   * done by the loop thread before its next step. The future completes once it is done (at once, with
   * nothing to clear, when the engine is closed).
   */
  public CompletableFuture<Void> clearPrefixCache() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    lock.lock();
    try {
      if (closed) return CompletableFuture.completedFuture(null);
      clearCache.add(done);
      wake.signal();
    } finally {
      lock.unlock();
    }
    return done;
  }

  /** The scheduler's pools, for tests (read them on the loop thread or when the engine is idle). */
  PagePool fullPool() {
    return scheduler.fullPool();
  }

  PagePool slidingPool() {
    return scheduler.slidingPool();
  }

  /** The sticky device error that made this engine FAILED, or null while it works. */
  public BackendException failure() {
    return failure;
  }

  private String closedReason() {
    BackendException f = failure;
    return f == null ? "the engine is closed" : "the engine failed on a device error, no request can run: " + f.getMessage();
  }

  public EngineStats stats() {
    return counters.stats();
  }

  /** Cancels every request still in the engine, frees all pages and stops the loop thread. Idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      wake.signal();
    } finally {
      lock.unlock();
    }
    if (Thread.currentThread() != loop) {
      boolean interrupted = false;
      while (loop.isAlive()) {
        try {
          loop.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  // ---- the loop thread ----

  private void run() {
    try {
      loop();
    } finally {
      abandon();
    }
  }

  /**
   * The loop thread is leaving (closed, or an error escaped even the loop's own handler): nothing may
   * wait on it any more, so the engine counts as closed and every request still in it completes.
   */
  private void abandon() {
    List<Sequence> left;
    lock.lock();
    try {
      closed = true;
      left = new ArrayList<>(arrivals);
      arrivals.clear();
      for (CompletableFuture<Void> f : clearCache) f.complete(null);
      clearCache.clear();
    } finally {
      lock.unlock();
    }
    try {
      for (Sequence s : scheduler.all()) left.add(s);
    } catch (RuntimeException ignored) {
      // the scheduler's state is broken; the arrivals still get their answers
    }
    for (Sequence s : left) {
      // A normal close leaves nothing here; anything left means the loop died (or the device failed).
      if (s.status != Sequence.Status.FINISHED) {
        s.complete(FinishReason.ERROR, failure != null ? closedReason() : "the engine's loop thread stopped");
      }
    }
    counters.completePending();
  }

  private void loop() {
    while (true) {
      List<Sequence> newSeqs, cancelled;
      boolean closing;
      List<CompletableFuture<Void>> clearing;
      lock.lock();
      try {
        while (arrivals.isEmpty() && cancels.isEmpty() && !closed && clearCache.isEmpty() && !scheduler.hasWork()) {
          wake.awaitUninterruptibly();
        }
        newSeqs = new ArrayList<>(arrivals);
        arrivals.clear();
        cancelled = new ArrayList<>(cancels);
        cancels.clear();
        closing = closed;
        clearing = new ArrayList<>(clearCache);
        clearCache.clear();
      } finally {
        lock.unlock();
      }
      try {
        for (Sequence s : newSeqs) scheduler.add(s);
        for (Sequence s : cancelled) {
          if (s.status == Sequence.Status.FINISHED) continue;
          scheduler.remove(s);
          finish(s, FinishReason.CANCELLED, null);
        }
        if (!clearing.isEmpty()) {
          scheduler.cache().clear();
          publish();
          for (CompletableFuture<Void> f : clearing) f.complete(null);
        }
        if (closing) {
          for (Sequence s : scheduler.all()) {
            scheduler.remove(s);
            finish(s, FinishReason.CANCELLED, null);
          }
          publish();
          return;
        }
        if (counters.pending() || !scheduler.hasWork()) publish();
        if (scheduler.hasWork()) step();
        if (failure != null) return; // FAILED: abandon() completes the arrivals
      } catch (RuntimeException | Error e) {
        // A bug in the engine itself: fail everything in it rather than hang the callers' futures.
        failAll("internal engine error: " + e);
      }
    }
  }

  private void step() {
    long t0 = System.nanoTime();
    ScheduledStep plan = scheduler.schedule();
    if (plan.isEmpty()) throw new IllegalStateException("scheduler planned an empty step with work pending");
    StepResult result;
    try {
      result = backend.step(plan.batch());
      checkResult(plan, result);
    } catch (RuntimeException | Error e) {
      String msg = "backend " + backend.name() + " failed in a step of " + plan.batch().numTokens() + " tokens: " + e;
      BackendException sticky = BackendException.stickyCause(e);
      if (sticky != null) {
        // FAILED: the device runs nothing any more; every request in the engine fails with the cause.
        lock.lock();
        try {
          failure = sticky;
          closed = true;
        } finally {
          lock.unlock();
        }
        failAll("backend " + backend.name() + " failed in a step of " + plan.batch().numTokens()
            + " tokens with a sticky device error (the engine is FAILED): " + sticky.getMessage());
        counters.busy(System.nanoTime() - t0);
        return;
      }
      for (Sequence s : scheduler.fail(plan)) finish(s, FinishReason.ERROR, msg);
      counters.busy(System.nanoTime() - t0);
      publish();
      return;
    }
    List<Scheduler.Finished> finished = scheduler.update(plan, result);
    counters.stepRan(plan.seqs().size(), plan.batch().numTokens(), result.sampled().length);
    for (Scheduler.Finished f : finished) finish(f.seq(), f.reason(), f.error());
    counters.busy(System.nanoTime() - t0);
    // The observer (tests) runs before the step's futures complete and its stats are published.
    if (afterStep != null) afterStep.accept(counters.snapshot());
    publish();
  }

  private void checkResult(ScheduledStep plan, StepResult r) {
    int rows = plan.batch().outputRows().length;
    if (r == null || r.sampled() == null || r.sampled().length != rows) {
      throw new IllegalStateException("step returned " + (r == null || r.sampled() == null ? "no" : r.sampled().length)
          + " sampled ids for " + rows + " output rows");
    }
    for (int id : r.sampled()) {
      if (id < 0 || id >= model.vocabSize()) throw new IllegalStateException("step sampled token id " + id + " outside the vocabulary");
    }
  }

  private void failAll(String msg) {
    for (Sequence s : scheduler.all()) {
      try {
        scheduler.remove(s);
      } catch (RuntimeException ignored) {
        // The accounting is already broken; the request still gets its answer.
      }
      finish(s, FinishReason.ERROR, msg);
    }
    publish();
  }

  /** Counts a request that left the engine; its future completes at the next {@link #publish}. */
  private void finish(Sequence s, FinishReason reason, String error) {
    counters.finish(s, reason, error);
  }

  /** Publishes the counters, then completes the futures of requests that left. */
  private void publish() {
    counters.publish();
  }
}
