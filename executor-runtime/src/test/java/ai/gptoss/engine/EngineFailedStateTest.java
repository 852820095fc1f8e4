package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.ForwardingBackend;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.cuda.CudaException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A sticky device error (as CUDA reports an illegal address: the context is lost for good) makes the engine
 * FAILED: every request in it and every later one fails with that cause, and the backend is never stepped again.
 * Any other backend error fails only its step's requests.
 */
class EngineFailedStateTest {
  /** Steps normally {@code okSteps} times, then throws {@code error} on every step, as a broken CUDA context does. */
  static class FailingBackend extends ForwardingBackend {
    final int okSteps;
    final RuntimeException error;
    final AtomicInteger steps = new AtomicInteger();
    final AtomicInteger failedSteps = new AtomicInteger();

    FailingBackend(Backend inner, int okSteps, RuntimeException error) {
      super(inner);
      this.okSteps = okSteps;
      this.error = error;
    }

    @Override
    public String name() {
      return "cuda:0";
    }

    @Override
    public StepResult step(StepBatch batch) {
      if (steps.incrementAndGet() > okSteps) {
        failedSteps.incrementAndGet();
        throw error;
      }
      return delegate.step(batch);
    }
  }

  private static boolean loopAlive() {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("gptoss-engine-cuda:0") && t.isAlive());
  }

  static CudaException illegalAddress() {
    return new CudaException("cuStreamSynchronize", 700, "an illegal memory access was encountered");
  }

  @Test
  void aStickyCudaErrorFailsEveryRequestNowAndLaterWithTheCause() throws InterruptedException {
    CudaException cause = illegalAddress();
    // Wrapped, as a backend may rethrow it: the engine looks through the cause chain.
    try (FailingBackend b = new FailingBackend(TinyA.backend(), 3, new IllegalStateException("step failed", cause));
        Engine e = Engine.start(b, EngineConfig.defaults().withMaxSeqsPerStep(2))) {
      List<RequestHandle> hs = new ArrayList<>();
      for (int i = 0; i < 5; i++) hs.add(e.submit(EngineLifecycleTest.good("r" + i, 200)));
      for (RequestHandle h : hs) {
        GenerationResult r = h.result().join();
        assertEquals(FinishReason.ERROR, r.finishReason(), r.toString());
        assertTrue(r.error().contains("an illegal memory access was encountered (700)"), r.error());
      }
      assertSame(cause, e.failure());
      GenerationResult late = e.submit(EngineLifecycleTest.good("late", 4)).result().join();
      assertEquals(FinishReason.ERROR, late.finishReason());
      assertTrue(late.error().contains("engine failed") && late.error().contains("(700)"), late.error());
      assertEquals(1, b.failedSteps.get(), "a FAILED engine never steps the device again");
      // The loop thread leaves right after completing the futures.
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (loopAlive() && System.nanoTime() < deadline) Thread.sleep(10);
      assertFalse(loopAlive(), "loop thread still alive");
    }
  }

  @Test
  void otherErrorsFailOnlyTheirStepAndTheEngineKeepsServing() {
    // Out of resources for one launch (701) leaves the context usable.
    RuntimeException once = new CudaException("cuLaunchKernel", 701, "too many resources requested for launch");
    try (FailingBackend b = new FailingBackend(TinyA.backend(), 0, once) {
      @Override
      public StepResult step(StepBatch batch) {
        if (steps.incrementAndGet() == 1) throw error;
        return delegate.step(batch);
      }
    }; Engine e = Engine.start(b, EngineConfig.defaults().withMaxSeqsPerStep(1))) {
      GenerationResult first = e.submit(EngineLifecycleTest.good("first", 4)).result().join();
      assertEquals(FinishReason.ERROR, first.finishReason());
      assertTrue(first.error().contains("(701)"), first.error());
      assertNull(e.failure());
      GenerationResult next = e.submit(EngineLifecycleTest.good("next", 4)).result().join();
      assertArrayEquals(TinyA.aloneGreedy(EngineLifecycleTest.LEN5, 4), next.outputIds());
    }
  }

  @Test
  void stickyCodesAreCudasUnrecoverableOnes() {
    for (int code : new int[] {214, 700, 702, 710, 714, 715, 716, 717, 718, 719, 999}) {
      assertTrue(new CudaException("call", code, "e").sticky(), "code " + code);
    }
    for (int code : new int[] {1, 2, 98, 200, 701, 719 + 1}) {
      assertFalse(new CudaException("call", code, "e").sticky(), "code " + code);
    }
    assertFalse(new CudaException.OutOfMemory("cudaMalloc", 2, "out of memory").sticky());
    assertFalse(new BackendException("x").sticky());
    CudaException c = illegalAddress();
    assertSame(c, BackendException.stickyCause(new RuntimeException(new IllegalStateException(c))));
    assertNull(BackendException.stickyCause(new RuntimeException(new CudaException("call", 2, "oom"))));
  }
}
