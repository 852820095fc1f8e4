package ai.gptoss.spark.exec;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.ForwardingBackend;
import ai.gptoss.backend.StepBudget;

/** A backend whose KV memory budget is capped (the share of the GPU that RAPIDS leaves, see {@link GpuMemoryPlan}). */
final class BudgetedBackend extends ForwardingBackend {
  private final long kvBudgetBytes;

  BudgetedBackend(Backend delegate, long kvBudgetBytes) {
    super(delegate);
    this.kvBudgetBytes = kvBudgetBytes;
  }

  @Override
  public long kvMemoryBudgetBytes(StepBudget step) {
    return Math.min(delegate.kvMemoryBudgetBytes(step), kvBudgetBytes);
  }
}
