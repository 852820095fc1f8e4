package ai.gptoss.backend;

import ai.gptoss.model.ModelConfig;

/**
 * A backend that forwards every call to another; subclasses override what they change (a capped KV
 * budget on executors that share the GPU with RAPIDS, fault injection in tests). {@link #close} closes
 * the wrapped backend.
 */
public abstract class ForwardingBackend implements Backend {
  protected final Backend delegate;

  protected ForwardingBackend(Backend delegate) {
    this.delegate = delegate;
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
    return delegate.kvMemoryBudgetBytes(step);
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
