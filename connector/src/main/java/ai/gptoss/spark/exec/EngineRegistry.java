package ai.gptoss.spark.exec;

import ai.gptoss.backend.BackendException;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.spark.GptossConf;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engines of one executor JVM: at most one per device, because an engine plans the device's memory as if it
 * were alone. A device is "cpu", "cuda:N", or the GPUs one engine spans ({@code cuda:A,B,...}); an engine whose GPUs
 * overlap another device's resident engine (a {@code tensor_parallel_size=2} engine on GPUs 0 and 1, a one-GPU engine
 * on GPU 1) closes it when it is idle and otherwise waits for it to go idle as below (or fails with
 * {@code engine_switch=fail}), so no GPU ever holds two engines (tasks of the busy engine are not held back
 * meanwhile). A task leases its device's engine for as long as it runs ({@link #acquire}, {@link #release} at task
 * completion):
 * <ul>
 *   <li>a task whose {@link EngineSettings} equal the resident engine's shares it;
 *   <li>one whose settings differ waits until no task holds the engine, closes it and loads its own; with
 *       {@code engine_switch=fail} it fails at once instead, naming both settings. While it waits, tasks that do not
 *       yet hold the engine queue behind it, so a stream of tasks with the resident settings cannot starve it;
 *   <li>a task that already holds an engine (this device's, or another's) never waits: it fails at once, saying how
 *       to fix the query, since waiting for an engine that it keeps busy itself would never end;
 *   <li>a FAILED engine ({@link ExecutorEngine#failure()}) is dropped; the next engine on its device starts only if
 *       the device passes {@link DeviceCheck} (it recovered), else the task fails naming the device and the cause.
 * </ul>
 * Each device has its own lock, so loading on one GPU never waits for a load on another.
 */
final class EngineRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(EngineRegistry.class);
  private static final long POLL_MILLIS = 100;

  /** A caller outside a Spark task: takes no lease. */
  static final long NO_TASK = -1;

  /** Loads the engine for {@code key}; called with its device's lock held. {@code how}: why this device (for logs). */
  interface Loader {
    ExecutorEngine load(EngineSettings key, String how);
  }

  /** Throws, saying why, when {@code device} cannot run a new engine (asked after an engine on it FAILED). */
  interface DeviceCheck {
    void check(String device);
  }

  /** Called about every 100 ms while a task waits; throws to stop waiting (the task was killed). */
  interface WaitCheck {
    void check();
  }

  private static final class Slot {
    final String device;
    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    final Set<Long> leases = ConcurrentHashMap.newKeySet(); // tasks using `engine`
    ExecutorEngine engine; // guarded by lock
    volatile Set<Integer> gpus = Set.of(); // written under lock: the GPUs of `engine`, or of the engine loading
    int switchersWaiting; // guarded by lock
    BackendException lastFailure; // guarded by lock: why the last engine FAILED, until the device works again
    String lastFailed; // guarded by lock: that engine

    Slot(String device) {
      this.device = device;
    }
  }

  private final Loader loader;
  private final DeviceCheck deviceCheck;
  private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();
  private final AtomicInteger created = new AtomicInteger();

  EngineRegistry(Loader loader, DeviceCheck deviceCheck) {
    this.loader = loader;
    this.deviceCheck = deviceCheck;
  }

  /**
   * The engine for {@code key}, leased to {@code task} until {@link #release}.
   *
   * @param how why this device (logged when an engine starts)
   * @param task the task attempt id, or {@link #NO_TASK}
   * @param failFast {@code engine_switch=fail}: fail instead of waiting for another query's engine to go idle
   */
  ExecutorEngine acquire(EngineSettings key, String how, long task, boolean failFast, WaitCheck waitCheck) {
    Slot slot = slots.computeIfAbsent(key.device(), Slot::new);
    try {
      slot.lock.lockInterruptibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("gptoss: interrupted while waiting for the engine on " + key.device(), e);
    }
    boolean switching = false;
    boolean overlapLogged = false;
    try {
      while (true) {
        ExecutorEngine cur = slot.engine;
        if (cur != null && cur.failure() != null) {
          drop(slot, cur);
          continue;
        }
        if (cur == null) {
          Slot other = freeOverlapping(slot, key);
          if (other == null) return load(slot, key, how, task);
          if (failFast || holdsAny(task)) throw overlapping(slot, other, key, failFast);
          if (!overlapLogged) {
            overlapLogged = true;
            LOG.info("gptoss: waiting for the engine on {} to go idle: an engine with {} on {} needs its GPUs {}",
                other.device, EngineIdentity.describe(key), slot.device, other.gpus);
          }
        } else {
          boolean mine = task != NO_TASK && slot.leases.contains(task);
          if (cur.settings().equals(key)) {
            if (mine || slot.switchersWaiting == 0 || holdsAny(task)) return lease(slot, cur, task);
            // Another query waits to replace this engine: queue behind it.
          } else {
            if (mine) throw conflict(slot, cur, key, "this task already uses it (an earlier gptoss() call of the same stage)");
            if (slot.leases.isEmpty()) {
              LOG.info("gptoss: closing idle {} on {} for an engine with {}", cur.describe(), slot.device,
                  EngineIdentity.describe(key));
              close(cur);
              slot.engine = null;
              slot.gpus = Set.of();
              continue;
            }
            if (failFast) throw busy(slot, cur, key);
            if (holdsAny(task)) throw conflict(slot, cur, key, "this task already uses an engine on another device");
            if (!switching) {
              switching = true;
              slot.switchersWaiting++;
              LOG.info("gptoss: waiting for {} on {} ({} task(s) use it) to go idle, to replace it by an engine with {}",
                  cur.describe(), slot.device, slot.leases.size(), EngineIdentity.describe(key));
            }
          }
        }
        try {
          slot.changed.await(POLL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("gptoss: interrupted while waiting for the engine on " + slot.device, e);
        }
        waitCheck.check();
      }
    } finally {
      if (switching) slot.switchersWaiting--;
      slot.lock.unlock();
    }
  }

  /** Ends {@code task}'s lease on {@code device}'s engine (task completion). Idempotent; never blocks on a load. */
  void release(String device, long task) {
    Slot slot = slots.get(device);
    if (slot == null || !slot.leases.remove(task)) return;
    if (slot.lock.tryLock()) { // waiters also poll, so a load in progress need not be waited for
      try {
        slot.changed.signalAll();
      } finally {
        slot.lock.unlock();
      }
    }
  }

  private ExecutorEngine lease(Slot slot, ExecutorEngine e, long task) {
    if (task != NO_TASK) slot.leases.add(task);
    return e;
  }

  private boolean holdsAny(long task) {
    if (task == NO_TASK) return false;
    for (Slot s : slots.values()) {
      if (s.leases.contains(task)) return true;
    }
    return false;
  }

  private ExecutorEngine load(Slot slot, EngineSettings key, String how, long task) {
    if (slot.lastFailure != null) {
      try {
        deviceCheck.check(slot.device);
      } catch (RuntimeException | LinkageError e) {
        throw new EngineFailedException("gptoss: " + slot.device + " cannot start an engine: " + slot.lastFailed
            + " failed there with " + slot.lastFailure.getMessage() + ", and the device has not recovered (" + e
            + "); Spark retries the task elsewhere", slot.lastFailure);
      }
      LOG.warn("gptoss: {} works again after {} failed with {}; starting a new engine", slot.device, slot.lastFailed,
          slot.lastFailure.getMessage());
      slot.lastFailure = null;
      slot.lastFailed = null;
    }
    ExecutorEngine e;
    try {
      e = loader.load(key, how);
    } catch (RuntimeException | Error ex) {
      slot.gpus = Set.of();
      throw ex;
    }
    created.incrementAndGet();
    slot.engine = e;
    slot.leases.clear();
    return lease(slot, e, task);
  }

  /**
   * Closes the idle engines of other devices that share a GPU with {@code key}'s, after marking {@code slot}'s GPUs
   * as taken (so that a concurrent load on an overlapping device sees them). Returns a device whose engine is busy
   * (or loading) on one of those GPUs, or null when the GPUs are free. Never blocks: other devices' locks are only
   * tried, so two devices checking each other cannot deadlock (both wait a poll and try again).
   */
  private Slot freeOverlapping(Slot slot, EngineSettings key) {
    Set<Integer> mine = ExecutorGpus.ordinals(key);
    slot.gpus = mine;
    for (Slot other : slots.values()) {
      if (other == slot || java.util.Collections.disjoint(other.gpus, mine)) continue;
      if (!other.lock.tryLock()) return other;
      try {
        if (other.engine == null) continue;
        if (!other.leases.isEmpty()) return other;
        LOG.info("gptoss: closing idle {} on {}: an engine with {} on {} needs its GPUs", other.engine.describe(),
            other.device, EngineIdentity.describe(key), slot.device);
        close(other.engine);
        other.engine = null;
        other.gpus = Set.of();
      } finally {
        other.lock.unlock();
      }
    }
    return null;
  }

  private void drop(Slot slot, ExecutorEngine failed) {
    LOG.error("gptoss: {} on {} FAILED with a sticky device error; its tasks fail and Spark retries them: {}",
        failed.describe(), slot.device, failed.failure().getMessage());
    slot.lastFailure = failed.failure();
    slot.lastFailed = failed.describe();
    slot.engine = null;
    slot.gpus = Set.of();
    slot.leases.clear();
    close(failed);
  }

  private static void close(ExecutorEngine e) {
    try {
      e.close();
    } catch (RuntimeException ex) {
      LOG.warn("gptoss: closing {} failed", e.describe(), ex);
    }
  }

  private static IllegalStateException conflict(Slot slot, ExecutorEngine cur, EngineSettings key, String why) {
    return new IllegalStateException("gptoss: " + slot.device + " runs one engine at a time and its engine has "
        + EngineIdentity.describe(cur.settings()) + ", but this gptoss() call needs " + EngineIdentity.describe(key) + "; " + why
        + ", so waiting for it to go idle would never end. Give every gptoss() call of the query the same "
        + String.join(", ", GptossConf.MODEL, GptossConf.PRECISION, GptossConf.KV_CACHE_DTYPE, GptossConf.ENGINE_MAX_SEQS,
            GptossConf.ENGINE_MAX_BATCHED_TOKENS, GptossConf.GPU_MEMORY_FRACTION, GptossConf.PREFIX_CACHING)
        + ", or run the calls in separate stages (persist or write the first call's result before the second)");
  }

  private static IllegalStateException overlapping(Slot slot, Slot other, EngineSettings key, boolean failFast) {
    return new IllegalStateException("gptoss: this gptoss() call needs an engine with " + EngineIdentity.describe(key)
        + " on " + slot.device + ", but GPUs " + other.gpus + " are held by the engine on " + other.device
        + ", which other tasks use; " + (failFast ? GptossConf.ENGINE_SWITCH + "=fail. Run the queries one after the "
            + "other, give them the same " + GptossConf.TENSOR_PARALLEL_SIZE + ", or set " + GptossConf.SESSION_PREFIX
            + GptossConf.ENGINE_SWITCH + "=wait to wait for it to go idle"
            : "this task already uses an engine, so waiting for it would never end. Give every gptoss() call of the "
                + "query the same " + GptossConf.TENSOR_PARALLEL_SIZE + ", or run the calls in separate stages"));
  }

  private static IllegalStateException busy(Slot slot, ExecutorEngine cur, EngineSettings key) {
    return new IllegalStateException("gptoss: the engine on " + slot.device + " has " + EngineIdentity.describe(cur.settings())
        + " and " + slot.leases.size() + " task(s) use it; this query needs " + EngineIdentity.describe(key) + " and "
        + GptossConf.ENGINE_SWITCH + "=fail. Run the queries one after the other, give them the same settings, or set "
        + GptossConf.SESSION_PREFIX + GptossConf.ENGINE_SWITCH + "=wait to wait for the engine to go idle and replace it");
  }

  /** Closes every engine (executor shutdown). The next task that needs one starts it again. */
  void closeAll() {
    for (Slot slot : slots.values()) {
      slot.lock.lock();
      try {
        if (slot.engine != null) close(slot.engine);
        slot.engine = null;
        slot.gpus = Set.of();
        slot.leases.clear();
        slot.changed.signalAll();
      } finally {
        slot.lock.unlock();
      }
    }
  }

  /** Engines started so far (closed ones included). */
  int createdCount() {
    return created.get();
  }

  /** The resident engines. */
  List<ExecutorEngine> live() {
    List<ExecutorEngine> out = new ArrayList<>();
    for (Slot slot : slots.values()) {
      slot.lock.lock();
      try {
        if (slot.engine != null) out.add(slot.engine);
      } finally {
        slot.lock.unlock();
      }
    }
    return out;
  }

  /** Tasks holding {@code device}'s engine now (tests). */
  int leases(String device) {
    Slot slot = slots.get(device);
    return slot == null ? 0 : slot.leases.size();
  }
}
