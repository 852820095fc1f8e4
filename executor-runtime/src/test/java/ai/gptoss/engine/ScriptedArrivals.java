package ai.gptoss.engine;

import ai.gptoss.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * The engine property tests' driver: request i arrives at step {@code arriveAt[i]} and is cancelled at
 * step {@code cancelAt[i]}, both done on the loop thread between steps so that a workload is
 * deterministic; arrivals at step 0 go in as one batch, and those whose step never comes (the engine ran
 * dry first) are submitted from the test thread. Runs on tiny-a; {@code after} sees the engine once
 * every request has ended, before it closes.
 */
final class ScriptedArrivals {
  /** What a test watches on the loop thread, under the driver's lock. */
  interface Observer {
    /** After every step, before that step's arrivals and cancellations. */
    default void afterStep(Engine e) {}

    /** Just before {@code h} is cancelled on the loop thread. */
    default void cancelling(RequestHandle h, Engine e) {}
  }

  private ScriptedArrivals() {}

  /**
   * Runs {@code reqs}; {@code handles} (one slot per request) is filled as they are submitted, and every
   * change of it and every observer call happens under {@code lock}.
   */
  static <T> T run(EngineConfig cfg, List<GenerationRequest> reqs, int[] arriveAt, int[] cancelAt,
      AtomicReferenceArray<RequestHandle> handles, Object lock, Observer observer, Function<Engine, T> after) {
    int n = reqs.size();
    AtomicBoolean[] claimed = new AtomicBoolean[n];
    for (int i = 0; i < n; i++) claimed[i] = new AtomicBoolean();
    Engine[] engine = new Engine[1];
    CompletableFuture<Void> initial = new CompletableFuture<>();
    try (CpuBackend b = TinyA.backend();
        Engine e = engine[0] = Engine.start(b, cfg, stats -> {
          initial.join(); // the first requests' handles are in place: cancels at step k are deterministic
          synchronized (lock) {
            observer.afterStep(engine[0]);
            for (int i = 0; i < n; i++) {
              if (arriveAt[i] == stats.steps() && claimed[i].compareAndSet(false, true)) {
                handles.set(i, engine[0].submit(reqs.get(i)));
              }
              RequestHandle h = handles.get(i);
              if (cancelAt[i] == stats.steps() && h != null) {
                observer.cancelling(h, engine[0]);
                h.cancel();
              }
            }
          }
        })) {
      synchronized (lock) {
        List<Integer> first = new ArrayList<>();
        for (int i = 0; i < n; i++) if (arriveAt[i] == 0 && claimed[i].compareAndSet(false, true)) first.add(i);
        List<RequestHandle> hs = e.submitAll(first.stream().map(reqs::get).toList());
        for (int j = 0; j < first.size(); j++) {
          handles.set(first.get(j), hs.get(j));
          if (cancelAt[first.get(j)] == 0) hs.get(j).cancel();
        }
      }
      initial.complete(null);
      while (true) {
        boolean pending = false;
        for (int i = 0; i < n; i++) {
          if (!claimed[i].get()) pending = true;
          else {
            while (handles.get(i) == null) Thread.onSpinWait(); // the loop thread is assigning it
            handles.get(i).result().join();
          }
        }
        if (!pending) break;
        synchronized (lock) { // an observer sees a request's table only once its handle is recorded
          for (int i = 0; i < n; i++) if (claimed[i].compareAndSet(false, true)) handles.set(i, e.submit(reqs.get(i)));
        }
      }
      return after.apply(e);
    }
  }
}
