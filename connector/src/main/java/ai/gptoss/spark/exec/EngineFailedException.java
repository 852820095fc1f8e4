package ai.gptoss.spark.exec;

/**
 * The engine of a device hit a sticky device error (it is FAILED), or the device did not recover from one: the
 * task fails with the device's cause, whatever {@code error_mode} says, so that Spark retries it, possibly
 * elsewhere. Never turned into a null answer.
 */
final class EngineFailedException extends IllegalStateException {
  EngineFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
