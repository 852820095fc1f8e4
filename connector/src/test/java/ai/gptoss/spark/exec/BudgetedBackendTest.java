package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Backends;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.model.EmbeddedModel;
import org.junit.jupiter.api.Test;

/** The RAPIDS-capped backend keeps what it wraps: the device's step budget and the step buffers' reservation. */
class BudgetedBackendTest {
  @Test
  void capsTheKvBudgetAndKeepsTheWrappedStepBudget() {
    try (Backend cpu = Backends.open(EmbeddedModel.path(), "cpu", Precision.EXACT, KvCacheDtype.AUTO)) {
      StepBudget step = cpu.defaultStepBudget();
      long own = cpu.kvMemoryBudgetBytes(step);
      Backend capped = new BudgetedBackend(cpu, own / 4);
      assertEquals(step, capped.defaultStepBudget());
      assertEquals(own / 4, capped.kvMemoryBudgetBytes(step));
      assertEquals(own, new BudgetedBackend(cpu, Long.MAX_VALUE).kvMemoryBudgetBytes(step));
      try (Engine e = Engine.start(capped, EngineConfig.defaults())) {
        assertEquals(step.maxTokensPerStep(), e.config().maxTokensPerStep());
        assertEquals(step.maxSeqsPerStep(), e.config().maxSeqsPerStep());
        long kvBytes = (long) e.config().fullPages() * cpu.kvPageBytes(e.config().pageSize(), false)
            + (long) e.config().slidingPages() * cpu.kvPageBytes(e.config().pageSize(), true);
        assertEquals(true, kvBytes <= own / 4, kvBytes + " bytes of KV pages within the cap of " + own / 4);
      }
    }
  }
}
