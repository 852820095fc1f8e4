package ai.gptoss.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.CudaAvailability;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.parallel.RankPlacement;
import ai.gptoss.model.Checkpoint;
import java.nio.file.Path;

/**
 * Entry points of the CUDA backend that {@code ai.gptoss.backend.CudaSupport} calls only once it found an NVIDIA
 * driver: the JVM loads this class (and with it JavaCPP and the CUDA libraries) at the first such call, so a machine
 * without a GPU never loads them.
 */
public final class CudaDevices {
  private CudaDevices() {}

  /** Number of CUDA devices (0 when the driver reports none or fails). */
  public static int count() {
    int[] n = new int[1];
    return cudaGetDeviceCount(n) == 0 ? n[0] : 0;
  }

  /** The devices, or why there are none: the driver's error from {@code cudaGetDeviceCount}. */
  public static CudaAvailability availability() {
    int[] n = new int[1];
    int rc = cudaGetDeviceCount(n);
    if (rc != 0) {
      return CudaAvailability.none(CudaAvailability.Reason.NO_DEVICE,
          "cudaGetDeviceCount: " + cudaGetErrorString(rc).getString() + " (" + rc + ")");
    }
    if (n[0] == 0) return CudaAvailability.none(CudaAvailability.Reason.NO_DEVICE, "cudaGetDeviceCount reports 0 devices");
    return CudaAvailability.devices(n[0]);
  }

  /** Opens a model directory as one engine over the GPUs {@code device} places {@code plan}'s ranks on ({@link RankPlacement}). */
  public static Backend openParallel(Path modelDir, String device, ParallelPlan plan, Precision precision,
      KvCacheDtype kvCacheDtype) {
    RankPlacement placement = RankPlacement.of(device, plan, count());
    try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
      return ParallelCudaBackend.load(ckpt, plan, placement, precision, kvCacheDtype);
    }
  }

  /** Opens a model directory, or {@code synthetic:NAME}, on GPU {@code ordinal}. */
  public static Backend open(Path modelDir, int ordinal, Precision precision, KvCacheDtype kvCacheDtype) {
    int n = count();
    if (ordinal < 0 || ordinal >= n) {
      throw new BackendException("--device cuda:" + ordinal + ": this machine has " + n + " CUDA device" + (n == 1 ? "" : "s"));
    }
    String s = modelDir.toString();
    if (s.startsWith(SyntheticModels.PREFIX)) {
      return CudaBackend.synthetic(SyntheticModels.config(s), ordinal, 1234, precision, kvCacheDtype);
    }
    try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
      return CudaBackend.load(ckpt, ordinal, precision, kvCacheDtype);
    }
  }
}
