package ai.gptoss.backend.cuda;

import ai.gptoss.backend.BackendException;
import java.util.Set;

/** A CUDA, NVRTC or cuBLAS call failed. The message names the call and the error. */
public class CudaException extends BackendException {
  /**
   * CUDA error codes (runtime {@code cudaError}, driver {@code CUresult}: the same numbers) after which the CUDA
   * context is corrupt and every later call fails: cudaErrorECCUncorrectable (214), cudaErrorNvlinkUncorrectable (220),
   * cudaErrorIllegalAddress (700), cudaErrorLaunchTimeout (702), cudaErrorContextIsDestroyed (709), cudaErrorAssert
   * (710), cudaErrorHardwareStackError (714), cudaErrorIllegalInstruction (715), cudaErrorMisalignedAddress (716),
   * cudaErrorInvalidAddressSpace (717), cudaErrorInvalidPc (718), cudaErrorLaunchFailure (719), cudaErrorUnknown (999).
   */
  public static final Set<Integer> STICKY_CODES = Set.of(214, 220, 700, 702, 709, 710, 714, 715, 716, 717, 718, 719, 999);

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

  /** True for the CUDA error codes of {@link #STICKY_CODES}. */
  @Override
  public boolean sticky() {
    return STICKY_CODES.contains(code);
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
