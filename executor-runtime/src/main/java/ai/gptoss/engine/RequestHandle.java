package ai.gptoss.engine;

import java.util.concurrent.CompletableFuture;

/** A submitted request: its result, and a way to cancel it (its KV pages are freed at once). */
public interface RequestHandle {
  CompletableFuture<GenerationResult> result();

  /** Cancels the request; its result completes with {@link FinishReason#CANCELLED}. Idempotent. */
  void cancel();
}
