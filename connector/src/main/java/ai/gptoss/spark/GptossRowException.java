package ai.gptoss.spark;

/** A bad row with {@code error_mode=fail}: fails the task (and, after Spark's retries, the job). */
public final class GptossRowException extends RuntimeException {
  public GptossRowException(String message) {
    super(message);
  }
}
