package ai.gptoss.backend;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The bridge to the CUDA backend ({@code ai.gptoss.backend.cuda}). Kept free of JavaCPP types and
 * reached by reflection, so that a machine without an NVIDIA driver never loads JavaCPP or the CUDA
 * libraries: without {@code /dev/nvidiactl} or {@code /proc/driver/nvidia} there are no GPUs.
 */
final class CudaSupport {
  private static final String DEVICES = "ai.gptoss.backend.cuda.CudaDevices";

  private CudaSupport() {}

  /** Number of CUDA devices, 0 when no driver or runtime is installed. */
  static int gpuCount() {
    return availability().count();
  }

  /** The CUDA devices this process sees, or why there are none. */
  static CudaAvailability availability() {
    if (!driverPresent()) {
      return CudaAvailability.none(CudaAvailability.Reason.NO_DRIVER, "neither /dev/nvidiactl nor /proc/driver/nvidia/version exists");
    }
    try {
      return (CudaAvailability) Class.forName(DEVICES).getMethod("availability").invoke(null);
    } catch (InvocationTargetException e) {
      Throwable t = e.getCause();
      return CudaAvailability.none(t instanceof LinkageError ? CudaAvailability.Reason.NO_RUNTIME
          : CudaAvailability.Reason.NO_DEVICE, String.valueOf(t));
    } catch (ReflectiveOperationException | LinkageError e) {
      return CudaAvailability.none(CudaAvailability.Reason.NO_RUNTIME, String.valueOf(e));
    }
  }

  static boolean driverPresent() {
    return Files.exists(Paths.get("/dev/nvidiactl")) || Files.exists(Paths.get("/proc/driver/nvidia/version"));
  }

  static Backend open(Path modelDir, int ordinal, Precision precision, KvCacheDtype kvCacheDtype) {
    if (!driverPresent()) throw new BackendException("--device cuda:" + ordinal + ": no NVIDIA driver on this machine");
    try {
      return (Backend) Class.forName(DEVICES).getMethod("open", Path.class, int.class, Precision.class, KvCacheDtype.class)
          .invoke(null, modelDir, ordinal, precision, kvCacheDtype);
    } catch (InvocationTargetException e) {
      Throwable t = e.getCause();
      if (t instanceof RuntimeException r) throw r;
      if (t instanceof LinkageError l) {
        throw new BackendException("--device cuda:" + ordinal + ": the CUDA 13 runtime libraries could not be loaded: " + l, l);
      }
      throw new BackendException("--device cuda:" + ordinal + ": " + t, t);
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new BackendException("--device cuda:" + ordinal + ": the CUDA backend could not be loaded: " + e, e);
    }
  }
}
