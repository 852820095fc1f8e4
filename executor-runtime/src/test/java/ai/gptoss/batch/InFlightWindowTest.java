package ai.gptoss.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ordered in-flight window over a tiny-a engine: how many requests it keeps in, order, errors, close. */
class InFlightWindowTest {
  static CpuBackend backend;
  static Engine engine;

  @BeforeAll
  static void start() {
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      backend = new CpuBackend(ModelWeights.load(ckpt));
    }
    engine = Engine.start(backend, EngineConfig.defaults());
  }

  @AfterAll
  static void stop() {
    engine.close();
    backend.close();
  }

  /** Row 0 is bad, 1 skipped; the others generate {@code maxNew(i)} tokens (no stop tokens). */
  static InFlightWindow<Integer> window(int rows, int maxInFlight, java.util.function.IntUnaryOperator maxNew) {
    List<Integer> input = IntStream.range(0, rows).boxed().toList();
    return new InFlightWindow<>(input.iterator(), i -> i == 0 ? InFlightWindow.Prepared.bad("row 0: bad", 0)
        : i == 1 ? InFlightWindow.Prepared.SKIPPED
        : InFlightWindow.Prepared.of(GenerationRequest.greedy("r" + i, new int[] {1, 2, 3}, maxNew.applyAsInt(i), List.of()),
            "row " + i), engine, maxInFlight, 2 * maxInFlight + 16, false);
  }

  @Test
  void keepsAtMostMaxInFlightAndAnswersInInputOrder() {
    // Later rows are shorter: they finish first and wait for the ones before them.
    int rows = 30;
    List<Integer> order = new ArrayList<>();
    try (InFlightWindow<Integer> w = window(rows, 5, i -> 2 + (rows - i))) {
      InFlightWindow.Done<Integer> first = w.next();
      assertEquals("row 0: bad", first.answer().error());
      assertEquals("error", first.answer().finishReason());
      assertEquals(5, w.running(), "the window fills to max_in_flight");
      order.add(first.row());
      InFlightWindow.Done<Integer> skipped = w.next();
      assertNull(skipped.answer());
      order.add(skipped.row());
      while (w.hasNext()) {
        InFlightWindow.Done<Integer> d = w.next();
        assertTrue(w.running() <= 5);
        assertEquals(2 + (rows - d.row()), d.answer().completionTokens(), "row " + d.row());
        assertEquals("length", d.answer().finishReason());
        assertNull(d.answer().error(), "no stop tokens: running to max_new_tokens is no truncation");
        assertNull(d.answer().text(), "no harmony parsing asked for");
        order.add(d.row());
      }
    }
    assertEquals(IntStream.range(0, rows).boxed().toList(), order);
  }

  @Test
  void closeCancelsWhatIsStillRunning() {
    InFlightWindow<Integer> w = window(10, 4, i -> 100_000);
    w.next();
    assertEquals(4, w.running());
    w.close();
    assertFalse(w.hasNext());
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (w.running() > 0 && System.nanoTime() < deadline) Thread.onSpinWait();
    assertEquals(0, w.running(), "cancelled requests left the engine");
  }
}
