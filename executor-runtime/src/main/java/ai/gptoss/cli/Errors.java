package ai.gptoss.cli;

/** Turns exceptions into one line a user can act on. */
final class Errors {
  private Errors() {}

  static String describe(Throwable ex) {
    String msg = ex.getMessage();
    if (msg == null || msg.isBlank()) msg = ex.getClass().getSimpleName();
    if (ex instanceof OutOfMemoryError) msg = "out of memory (" + msg + "); raise -Xmx via GPTOSS_JAVA_OPTS";
    return msg;
  }
}
