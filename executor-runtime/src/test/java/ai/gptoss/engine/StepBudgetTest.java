package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.ForwardingBackend;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/** The engine's step budget when the caller sets none: the backend's ({@link Backend#defaultStepBudget}). */
class StepBudgetTest {
  private static final long GIB = 1L << 30;

  @Test
  void gpuBudgetsFollowVllmsOfflineDefaults() {
    assertEquals(new StepBudget(16384, 1024), StepBudget.forGpu(80 * GIB - 300_000_000L, "NVIDIA H100 80GB HBM3"));
    assertEquals(new StepBudget(16384, 1024), StepBudget.forGpu(141 * GIB, "NVIDIA H200"));
    assertEquals(new StepBudget(8192, 256), StepBudget.forGpu(80 * GIB, "NVIDIA A100-SXM4-80GB"));
    assertEquals(new StepBudget(8192, 256), StepBudget.forGpu(48 * GIB, "NVIDIA L40S"));
    assertEquals(new StepBudget(8192, 256), StepBudget.forGpu(70 * GIB - 1, null));
    assertThrows(IllegalArgumentException.class, () -> new StepBudget(0, 1));
    assertEquals(new StepBudget(16, 1024), new StepBudget(16384, 1024).override(16, 0)); // a set limit wins, 0 keeps
  }

  @Test
  void zerosTakeTheBackendsBudgetAndExplicitValuesWin() {
    try (CpuBackend cpu = TinyA.backend()) {
      EngineConfig onCpu = EngineConfig.defaults().resolve(cpu);
      assertEquals(StepBudget.CPU.maxTokensPerStep(), onCpu.maxTokensPerStep());
      assertEquals(StepBudget.CPU.maxSeqsPerStep(), onCpu.maxSeqsPerStep());
      assertEquals(onCpu.maxTokensPerStep(), onCpu.prefillChunkSize()); // 0: the whole step budget

      Backend gpuLike = withBudget(cpu, new StepBudget(16384, 1024));
      EngineConfig big = EngineConfig.defaults().resolve(gpuLike);
      assertEquals(16384, big.maxTokensPerStep());
      assertEquals(1024, big.maxSeqsPerStep());
      assertEquals(16384, big.prefillChunkSize());

      EngineConfig mine = EngineConfig.defaults().withMaxSeqsPerStep(3).withPrefillChunkSize(100_000).resolve(gpuLike);
      assertEquals(16384, mine.maxTokensPerStep());
      assertEquals(3, mine.maxSeqsPerStep());
      assertEquals(16384, mine.prefillChunkSize()); // a chunk never exceeds the step

      EngineConfig small = EngineConfig.defaults().withPrefillChunkSize(64).withMaxTokensPerStep(32).resolve(gpuLike);
      assertEquals(32, small.maxTokensPerStep());
      assertEquals(32, small.prefillChunkSize());
      assertEquals(1024, small.maxSeqsPerStep());
    }
  }

  @Test
  void theEngineRunsWithTheResolvedBudget() throws Exception {
    try (CpuBackend cpu = TinyA.backend(); Engine e = Engine.start(withBudget(cpu, new StepBudget(8, 2)), EngineConfig.defaults())) {
      assertEquals(8, e.config().maxTokensPerStep());
      assertEquals(2, e.config().maxSeqsPerStep());
      var r = e.submit(GenerationRequest.greedy("a", new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3, java.util.List.of()))
          .result().get();
      assertEquals(FinishReason.LENGTH, r.finishReason());
      EngineStats s = e.stats();
      assertEquals(10 + 2, s.computedTokens()); // 10 prompt tokens in chunks of at most 8, then 2 decode tokens
      assertEquals(4, s.steps()); // 8 + 2 (prompt) then 1 + 1 (decode)
    }
  }

  @Test
  void aStepBudgetThatLeavesNoKvPageIsAnErrorThatSaysWhatToLower() {
    try (CpuBackend cpu = TinyA.backend()) {
      // A device whose step buffers for more than 4,096 tokens leave nothing for the KV cache.
      Backend tight = new ForwardingBackend(withBudget(cpu, new StepBudget(16384, 1024))) {
        @Override
        public long kvMemoryBudgetBytes(StepBudget step) {
          return step.maxTokensPerStep() > 4096 ? 0 : delegate.kvMemoryBudgetBytes(step);
        }
      };
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EngineConfig.defaults().resolve(tight));
      assertTrue(e.getMessage().contains("steps of 16384 tokens and 1024 sequences")
          && e.getMessage().contains("lower the step budget") && e.getMessage().contains("engine.max_batched_tokens"), e.getMessage());
      assertEquals(4096, EngineConfig.defaults().withMaxTokensPerStep(4096).resolve(tight).maxTokensPerStep());
    }
  }

  /** {@code b} reporting {@code budget} as its default, otherwise itself; closing it leaves {@code b} open. */
  private static Backend withBudget(Backend b, StepBudget budget) {
    return new ForwardingBackend(b) {
      @Override
      public StepBudget defaultStepBudget() {
        return budget;
      }

      @Override
      public void close() {}
    };
  }
}
