package ai.gptoss.spark;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.backend.StepResult;
import ai.gptoss.model.ModelConfig;

/** A backend whose KV memory budget is capped (the share of the GPU that RAPIDS leaves, see {@link GpuMemoryPlan}). */
final class BudgetedBackend implements Backend {
  private final Backend delegate;
  private final long kvBudgetBytes;

  BudgetedBackend(Backend delegate, long kvBudgetBytes) {
    this.delegate = delegate;
    this.kvBudgetBytes = kvBudgetBytes;
  }

  @Override
  public ModelConfig config() {
    return delegate.config();
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public long kvPageBytes(int pageSize, boolean sliding) {
    return delegate.kvPageBytes(pageSize, sliding);
  }

  @Override
  public int kvBytesPerElement() {
    return delegate.kvBytesPerElement();
  }

  @Override
  public long kvMemoryBudgetBytes(StepBudget step) {
    return Math.min(delegate.kvMemoryBudgetBytes(step), kvBudgetBytes);
  }

  @Override
  public StepBudget defaultStepBudget() {
    return delegate.defaultStepBudget();
  }

  @Override
  public void allocateKvCache(KvCacheSpec spec) {
    delegate.allocateKvCache(spec);
  }

  @Override
  public StepResult step(StepBatch batch) {
    return delegate.step(batch);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
