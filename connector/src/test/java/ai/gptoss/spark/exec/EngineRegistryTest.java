package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Backends;
import ai.gptoss.backend.ForwardingBackend;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.cuda.CudaException;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.TestData;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One engine per device: sharing, replacing an idle engine, waiting for a busy one (or failing fast), never
 * deadlocking a task that holds an engine, per-device loading, and FAILED engines. The loader is a stub that starts
 * CPU engines of tiny-a under whatever device it is asked for; "cuda:N" are just names here.
 */
class EngineRegistryTest {
  static final EngineSettings A = new EngineSettings("tiny-a", "cuda:0", Precision.EXACT, KvCacheDtype.AUTO, 0, 0, 0.9, true);
  static final EngineSettings B = new EngineSettings("tiny-a", "cuda:0", Precision.FAST, KvCacheDtype.AUTO, 0, 0, 0.9, true);
  static final EngineRegistry.WaitCheck NO_KILL = () -> {};

  final AtomicInteger loads = new AtomicInteger();
  final AtomicBoolean sticky = new AtomicBoolean();
  final AtomicReference<CountDownLatch> gate = new AtomicReference<>();
  final AtomicReference<RuntimeException> deviceBroken = new AtomicReference<>();
  final ExecutorService pool = Executors.newCachedThreadPool();
  final EngineRegistry registry = new EngineRegistry(this::load, device -> {
    RuntimeException e = deviceBroken.get();
    if (e != null) throw e;
  });

  /** Throws a sticky CUDA error (illegal address) on every step once {@link #sticky} is set. */
  final class StickyAfterFlag extends ForwardingBackend {
    StickyAfterFlag(Backend inner) {
      super(inner);
    }

    @Override
    public StepResult step(StepBatch batch) {
      if (sticky.get()) throw new CudaException("cuStreamSynchronize", 700, "an illegal memory access was encountered");
      return delegate.step(batch);
    }
  }

  private ExecutorEngine load(EngineSettings key, String how) {
    CountDownLatch g = gate.get();
    if (g != null && key.device().equals("cuda:0")) {
      try {
        g.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
    loads.incrementAndGet();
    Backend b = Backends.open(TestData.resource("tiny-a"), "cpu", Precision.EXACT, KvCacheDtype.AUTO);
    return ExecutorEngine.start(key, new StickyAfterFlag(b));
  }

  @AfterEach
  void close() {
    pool.shutdownNow();
    registry.closeAll();
  }

  static EngineSettings key(String device, EngineSettings s) {
    return s.onDevice(device);
  }

  static GenerationResult generate(ExecutorEngine e, int maxNew) {
    return e.submit(GenerationRequest.greedy("r", new int[] {1, 2, 3}, maxNew, List.of())).result().join();
  }

  private Future<ExecutorEngine> acquireLater(EngineSettings k, long task, boolean failFast, EngineRegistry.WaitCheck check) {
    return pool.submit(() -> registry.acquire(k, "test", task, failFast, check));
  }

  private static boolean stillWaiting(Future<?> f) throws Exception {
    try {
      f.get(300, TimeUnit.MILLISECONDS);
      return false;
    } catch (TimeoutException e) {
      return true;
    }
  }

  @Test
  void tensorAndExpertParallelAreEngineSettingsWhoseErrorsNameTheOption() {
    GptossOptions tp2 = GptossOptions.resolve(Map.of("tensor_parallel_size", "2", "expert_parallel", "true"), k -> null);
    EngineSettings cpu = EngineIdentity.of(tp2, "cpu");
    assertEquals(new ParallelPlan(2, true), cpu.parallel());
    assertNotEquals(EngineIdentity.of(GptossOptions.defaults(), "cpu"), cpu, "another engine");
    assertEquals(ParallelPlan.SINGLE, EngineIdentity.of(GptossOptions.defaults(), "cuda:0").parallel());
    assertTrue(EngineIdentity.describe(cpu).contains("tensor_parallel_size 2, expert_parallel"), EngineIdentity.describe(cpu));
    assertEquals(new ParallelPlan(4, false),
        EngineIdentity.of(GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.tensor_parallel_size", "4")::get), "cpu").parallel());
    var zero = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of("tensor_parallel_size", "0"), k -> null));
    assertTrue(zero.getMessage().contains("gptoss() option 'tensor_parallel_size'") && zero.getMessage().contains("'0'"),
        zero.getMessage());
    var ep = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.expert_parallel", "yes")::get));
    assertTrue(ep.getMessage().contains("spark.gptoss.expert_parallel") && ep.getMessage().contains("true or false"),
        ep.getMessage());
    assertTrue(tp2.toString().contains("tensor_parallel_size=2") && tp2.toString().contains("expert_parallel=true"), tp2.toString());
  }

  @Test
  void settingsComeFromTheOptionsAndGpuOnlySettingsDoNotSplitCpuEngines() {
    GptossOptions fast = GptossOptions.resolve(Map.of("precision", "fast", "kv_cache_dtype", "FP8_E4M3",
        "engine.max_seqs", "64", "gpu.memory_fraction", "0.5", "engine_switch", "FAIL"), k -> null);
    EngineSettings gpu = EngineIdentity.of(fast, "cuda:0");
    assertEquals(new EngineSettings("", "cuda:0", Precision.FAST, KvCacheDtype.FP8, 64, 0, 0.5, true), gpu);
    assertTrue(fast.engineSwitchFail());
    assertTrue(EngineIdentity.describe(gpu).contains("precision fast") && EngineIdentity.describe(gpu).contains("kv_cache_dtype fp8")
        && EngineIdentity.describe(gpu).contains("gpu.memory_fraction 0.5"), EngineIdentity.describe(gpu));
    // On the CPU, precision and the GPU's memory share change nothing: the same engine serves both.
    assertEquals(EngineIdentity.of(GptossOptions.defaults(), "cpu"),
        EngineIdentity.of(GptossOptions.resolve(Map.of("precision", "fast", "gpu.memory_fraction", "0.5"), k -> null), "cpu"));
    assertFalse(GptossOptions.defaults().engineSwitchFail());
    // Prefix caching is part of the engine's identity: turning it off (function option or session conf) needs another engine.
    assertTrue(GptossOptions.defaults().prefixCaching());
    EngineSettings noCache = EngineIdentity.of(GptossOptions.resolve(Map.of("prefix_caching", "false"), k -> null), "cpu");
    assertFalse(noCache.prefixCaching());
    assertNotEquals(EngineIdentity.of(GptossOptions.defaults(), "cpu"), noCache);
    assertTrue(EngineIdentity.describe(noCache).contains("prefix_caching false"), EngineIdentity.describe(noCache));
    assertFalse(GptossOptions.resolve(Map.of(), k -> k.equals("spark.gptoss.prefix_caching") ? "false" : null).prefixCaching());
    assertEquals(null, GptossOptions.defaults().kvCacheDtype(), "unset: the executor's GPTOSS_KV_CACHE_DTYPE decides");
    var badKv = assertThrows(IllegalArgumentException.class, () -> GptossOptions.resolve(Map.of("kv_cache_dtype", "int4"), k -> null));
    assertTrue(badKv.getMessage().contains("'kv_cache_dtype'") && badKv.getMessage().contains("int4"), badKv.getMessage());
    var badSwitch = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.engine_switch", "later")::get));
    assertTrue(badSwitch.getMessage().contains("spark.gptoss.engine_switch") && badSwitch.getMessage().contains("wait or fail"),
        badSwitch.getMessage());
  }

  @Test
  void equalSettingsShareTheEngineAndOtherSettingsReplaceItWhenIdle() {
    ExecutorEngine a1 = registry.acquire(key("cuda:0", A), "test", 1, false, NO_KILL);
    ExecutorEngine a2 = registry.acquire(key("cuda:0", A), "test", 2, false, NO_KILL);
    assertSame(a1, a2);
    assertEquals(1, loads.get());
    assertEquals(2, registry.leases("cuda:0"));
    registry.release("cuda:0", 1);
    registry.release("cuda:0", 2);
    registry.release("cuda:0", 2); // idempotent
    ExecutorEngine b = registry.acquire(key("cuda:0", B), "test", 3, false, NO_KILL);
    assertNotSame(a1, b);
    assertEquals(2, loads.get());
    assertEquals(List.of(b), registry.live(), "one engine per device");
    assertTrue(generate(a1, 2).error().contains("closed"), "the replaced engine was closed");
    assertEquals(FinishReason.LENGTH, generate(b, 2).finishReason());
  }

  @Test
  void otherSettingsWaitForTheEngineToGoIdleAndQueueNewcomersBehindThem() throws Exception {
    ExecutorEngine a = registry.acquire(key("cuda:0", A), "test", 1, false, NO_KILL);
    Future<ExecutorEngine> wantsB = acquireLater(key("cuda:0", B), 2, false, NO_KILL);
    assertTrue(stillWaiting(wantsB), "B must wait while task 1 uses A");
    // A newcomer with A's settings queues behind the waiting switch instead of starving it.
    Future<ExecutorEngine> wantsA = acquireLater(key("cuda:0", A), 3, false, NO_KILL);
    assertTrue(stillWaiting(wantsA), "a newcomer must not overtake the waiting switch");
    // Task 1 itself may still use its engine (a second call with the same settings).
    assertSame(a, registry.acquire(key("cuda:0", A), "test", 1, false, NO_KILL));
    registry.release("cuda:0", 1);
    ExecutorEngine b = wantsB.get(10, TimeUnit.SECONDS);
    assertEquals(B, b.settings());
    assertTrue(stillWaiting(wantsA), "A waits for B's task now");
    registry.release("cuda:0", 2);
    assertEquals(A, wantsA.get(10, TimeUnit.SECONDS).settings());
    assertEquals(3, loads.get());
  }

  @Test
  void engineSwitchFailFailsAtOnceNamingBothSettings() {
    registry.acquire(key("cuda:0", A), "test", 1, false, NO_KILL);
    var e = assertThrows(IllegalStateException.class, () -> registry.acquire(key("cuda:0", B), "test", 2, true, NO_KILL));
    assertTrue(e.getMessage().contains("precision exact") && e.getMessage().contains("precision fast")
        && e.getMessage().contains("engine_switch=fail") && e.getMessage().contains("cuda:0"), e.getMessage());
    // An idle engine is replaced even so: nothing to wait for.
    registry.release("cuda:0", 1);
    assertEquals(B, registry.acquire(key("cuda:0", B), "test", 2, true, NO_KILL).settings());
  }

  @Test
  void aTaskHoldingAnEngineNeverWaitsForAnotherOne() {
    registry.acquire(key("cuda:0", A), "test", 1, false, NO_KILL);
    var same = assertThrows(IllegalStateException.class, () -> registry.acquire(key("cuda:0", B), "test", 1, false, NO_KILL));
    assertTrue(same.getMessage().contains("same stage") && same.getMessage().contains("precision exact")
        && same.getMessage().contains("precision fast") && same.getMessage().contains("separate stages"), same.getMessage());
    // Task 1 holds cuda:0; cuda:1 is busy with task 2: waiting there could deadlock with task 2 waiting on cuda:0.
    registry.acquire(key("cuda:1", A), "test", 2, false, NO_KILL);
    var cross = assertThrows(IllegalStateException.class, () -> registry.acquire(key("cuda:1", B), "test", 1, false, NO_KILL));
    assertTrue(cross.getMessage().contains("another device"), cross.getMessage());
  }

  @Test
  void aKilledWaiterStopsWaitingAndLeavesNoQueueBehind() throws Exception {
    registry.acquire(key("cuda:0", A), "test", 1, false, NO_KILL);
    AtomicBoolean killed = new AtomicBoolean();
    Future<ExecutorEngine> wantsB = acquireLater(key("cuda:0", B), 2, false, () -> {
      if (killed.get()) throw new IllegalStateException("task 2 killed");
    });
    assertTrue(stillWaiting(wantsB));
    killed.set(true);
    var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> wantsB.get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("task 2 killed"), e.toString());
    // No switch is pending any more: a newcomer with A's settings shares at once.
    assertEquals(A, registry.acquire(key("cuda:0", A), "test", 3, false, NO_KILL).settings());
  }

  @Test
  void loadingOnOneGpuNeverWaitsForALoadOnAnother() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    gate.set(release);
    Future<ExecutorEngine> slow = acquireLater(key("cuda:0", A), 1, false, NO_KILL);
    assertTrue(stillWaiting(slow), "the cuda:0 load is held");
    CompletableFuture<ExecutorEngine> other = CompletableFuture.supplyAsync(
        () -> registry.acquire(key("cuda:1", A), "test", 2, false, NO_KILL), pool);
    assertEquals("cuda:1", other.get(20, TimeUnit.SECONDS).settings().device());
    assertFalse(slow.isDone());
    release.countDown();
    assertEquals("cuda:0", slow.get(20, TimeUnit.SECONDS).settings().device());
  }

  @Test
  void aFailedEngineIsReplacedOnlyWhenTheDeviceRecovers() {
    ExecutorEngine a = registry.acquire(key("cuda:0", A), "test", 1, false, NO_KILL);
    sticky.set(true);
    GenerationResult r = generate(a, 4);
    assertEquals(FinishReason.ERROR, r.finishReason());
    assertTrue(a.failure() != null && a.failure().getMessage().contains("(700)"), String.valueOf(a.failure()));
    sticky.set(false);
    // The device still answers with the sticky error: the next task fails naming the device and the cause.
    deviceBroken.set(new IllegalStateException("cudaSetDevice(0) failed: an illegal memory access was encountered"));
    var e = assertThrows(EngineFailedException.class, () -> registry.acquire(key("cuda:0", A), "test", 2, false, NO_KILL));
    assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains("an illegal memory access was encountered (700)")
        && e.getMessage().contains("has not recovered"), e.getMessage());
    assertSame(a.failure(), e.getCause());
    assertEquals(1, loads.get());
    assertTrue(registry.live().isEmpty(), "a FAILED engine is dropped");
    // The device works again: a fresh engine starts.
    deviceBroken.set(null);
    ExecutorEngine fresh = registry.acquire(key("cuda:0", A), "test", 3, false, NO_KILL);
    assertNotSame(a, fresh);
    assertEquals(FinishReason.LENGTH, generate(fresh, 3).finishReason());
  }
}
