package ai.gptoss.backend;

/** A backend failed to run (a CUDA call failed, memory ran out). Names the failing operation. */
public class BackendException extends RuntimeException {
  public BackendException(String message) {
    super(message);
  }

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Whether the device is unusable after this error (a "sticky" CUDA error: illegal address, kernel trap or assert,
   * launch failure, uncorrectable ECC error, device lost): every later call on the device fails the same way, so an
   * engine that hits it must stop. False for errors that leave the device usable (out of memory, a bad argument).
   */
  public boolean sticky() {
    return false;
  }

  /** The first sticky {@link BackendException} in {@code t}'s cause chain, or null. */
  public static BackendException stickyCause(Throwable t) {
    for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof BackendException b && b.sticky()) return b;
    }
    return null;
  }
}
