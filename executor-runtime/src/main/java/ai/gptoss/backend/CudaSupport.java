package ai.gptoss.backend;

import ai.gptoss.backend.cuda.CudaDevices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The bridge to the CUDA backend ({@code ai.gptoss.backend.cuda}): typed calls into {@link CudaDevices}, made only
 * once an NVIDIA driver is there (without {@code /dev/nvidiactl} or {@code /proc/driver/nvidia} there are no GPUs).
 * The JVM links {@link CudaDevices}, and so loads JavaCPP and the CUDA libraries, at the first call, so a machine
 * without a driver never loads them; a runtime that cannot be loaded surfaces there as a {@link LinkageError}.
 */
final class CudaSupport {
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
      return CudaDevices.availability();
    } catch (LinkageError e) {
      return CudaAvailability.none(CudaAvailability.Reason.NO_RUNTIME, String.valueOf(e));
    } catch (RuntimeException e) {
      return CudaAvailability.none(CudaAvailability.Reason.NO_DEVICE, String.valueOf(e));
    }
  }

  static boolean driverPresent() {
    return Files.exists(Paths.get("/dev/nvidiactl")) || Files.exists(Paths.get("/proc/driver/nvidia/version"));
  }

  /** Opens {@code modelDir} as one engine over the GPUs {@code device} places {@code plan}'s ranks on. */
  static Backend openParallel(Path modelDir, String device, ai.gptoss.backend.parallel.ParallelPlan plan,
      Precision precision, KvCacheDtype kvCacheDtype) {
    if (!driverPresent()) throw new BackendException("--device " + device + ": no NVIDIA driver on this machine");
    try {
      return CudaDevices.openParallel(modelDir, device, plan, precision, kvCacheDtype);
    } catch (LinkageError e) {
      throw new BackendException("--device " + device + ": the CUDA 13 runtime or NCCL libraries could not be loaded: " + e, e);
    }
  }

  static Backend open(Path modelDir, int ordinal, Precision precision, KvCacheDtype kvCacheDtype) {
    if (!driverPresent()) throw new BackendException("--device cuda:" + ordinal + ": no NVIDIA driver on this machine");
    try {
      return CudaDevices.open(modelDir, ordinal, precision, kvCacheDtype);
    } catch (LinkageError e) {
      throw new BackendException("--device cuda:" + ordinal + ": the CUDA 13 runtime libraries could not be loaded: " + e, e);
    }
  }
}
