package ai.gptoss.engine;

/** Why a request stopped; serialized lower-case ("stop", "length", "error", "cancelled"). */
public enum FinishReason {
  /** A stop token was generated (it is included in the output ids). */
  STOP,
  /** {@code max_new_tokens} was reached, or the model's context is full. */
  LENGTH,
  /** The request was invalid or failed; {@link GenerationResult#error()} says why. */
  ERROR,
  /** The caller cancelled it. */
  CANCELLED;

  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
