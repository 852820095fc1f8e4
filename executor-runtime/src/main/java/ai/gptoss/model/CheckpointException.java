package ai.gptoss.model;

/**
 * A checkpoint (config.json or safetensors file) that cannot be used. The message always names the
 * file and, where one is involved, the tensor or config key.
 */
public final class CheckpointException extends RuntimeException {
  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
