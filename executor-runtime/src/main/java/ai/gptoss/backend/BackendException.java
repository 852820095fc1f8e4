package ai.gptoss.backend;

/** A backend failed to run (a CUDA call failed, memory ran out). Names the failing operation. */
public class BackendException extends RuntimeException {
  public BackendException(String message) {
    super(message);
  }

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
