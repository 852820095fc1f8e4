package ai.gptoss.backend.cuda;

import ai.gptoss.backend.BackendException;

/** A CUDA, NVRTC or cuBLAS call failed. The message names the call and the error. */
public class CudaException extends BackendException {
  private final int code;

  public CudaException(String call, int code, String error) {
    super(call + " failed: " + error + " (" + code + ")");
    this.code = code;
  }

  public CudaException(String message) {
    super(message);
    this.code = -1;
  }

  public int code() {
    return code;
  }

  /** Device memory ran out: the request was too large for this GPU. */
  public static final class OutOfMemory extends CudaException {
    public OutOfMemory(String call, int code, String error) {
      super(call, code, error);
    }
  }

  /** A kernel failed to compile with NVRTC; the message carries the compiler log. */
  public static final class Compile extends CudaException {
    public Compile(String message) {
      super(message);
    }
  }
}
