package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.batch.InFlightWindow;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.model.EmbeddedModel;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How many of a task's rows the window keeps in the engine. */
class RequestWindowTest {
  /** Row 0 is bad (done at once, so next() returns after the first fill); the others generate for long. */
  private static RequestWindow<Integer> window(ExecutorEngine engine, int rows, int maxInFlight) {
    List<Integer> input = IntStream.range(0, rows).boxed().toList();
    return new RequestWindow<>(input.iterator(), i -> i == 0 ? InFlightWindow.Prepared.bad("row 0: bad", 0)
        : InFlightWindow.Prepared.of(GenerationRequest.greedy("r" + i, new int[] {1, 2, 3}, 100_000, List.of()), "r" + i),
        engine, maxInFlight, null);
  }

  @Test
  void autoKeepsTheEnginesSequencesPerStepInFlightAndACountCapsIt() {
    try (ExecutorEngine engine = ExecutorEngine.start(new EngineSettings("", "cpu", null, KvCacheDtype.AUTO, 0, 0, 0, true), EmbeddedModel.path(), 0)) {
      int perStep = engine.maxSeqsPerStep();
      assertEquals(256, perStep); // the CPU's step budget
      try (RequestWindow<Integer> auto = window(engine, perStep + 50, 0)) {
        assertEquals("row 0: bad", auto.next().answer().error());
        assertEquals(perStep, auto.running(), "max_in_flight=auto fills the engine's batch");
      }
      try (RequestWindow<Integer> five = window(engine, 50, 5)) {
        assertEquals("row 0: bad", five.next().answer().error());
        assertEquals(5, five.running());
      }
    }
  }
}
