package ai.gptoss.backend;

/**
 * How many CUDA devices this JVM sees, and when none, why: no NVIDIA driver, no CUDA 13 runtime
 * (the libraries could not be loaded), or a driver that reports no device.
 *
 * @param count CUDA devices visible to this process (after {@code CUDA_VISIBLE_DEVICES}); 0 when none
 * @param reason why there is none (null when {@code count > 0})
 * @param detail what the probe saw (the missing files, the loader's or the driver's error); null when {@code count > 0}
 */
public record CudaAvailability(int count, Reason reason, String detail) {
  /** Why no GPU can be used. */
  public enum Reason {
    /** Neither {@code /dev/nvidiactl} nor {@code /proc/driver/nvidia/version} exists. */
    NO_DRIVER("no NVIDIA driver"),
    /** The driver is there but the CUDA 13 runtime libraries (JavaCPP's cuda preset) could not be loaded. */
    NO_RUNTIME("the CUDA 13 runtime libraries could not be loaded"),
    /** The driver and runtime load but report no usable device (cudaGetDeviceCount). */
    NO_DEVICE("no CUDA device");

    private final String text;

    Reason(String text) {
      this.text = text;
    }

    public String text() {
      return text;
    }
  }

  public CudaAvailability {
    if (count < 0) throw new IllegalArgumentException("count must not be negative, got " + count);
    if ((count == 0) != (reason != null)) throw new IllegalArgumentException("a reason is given exactly when count is 0");
  }

  public static CudaAvailability devices(int count) {
    return new CudaAvailability(count, null, null);
  }

  public static CudaAvailability none(Reason reason, String detail) {
    return new CudaAvailability(0, reason, detail);
  }

  /** Probes this machine (cached by nothing: callers keep the answer). */
  public static CudaAvailability probe() {
    return CudaSupport.availability();
  }

  /** "no NVIDIA driver (neither /dev/nvidiactl nor ...)", or "N CUDA devices". */
  public String describe() {
    if (count > 0) return count + " CUDA device" + (count == 1 ? "" : "s");
    return reason.text() + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")");
  }
}
