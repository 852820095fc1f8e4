package ai.gptoss.backend;

import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import java.nio.file.Path;

/** Opens a model on a device: "cpu", "cuda", "cuda:N", or "auto" (the first GPU if present, else CPU). */
public final class Backends {
  private Backends() {}

  /**
   * Opens {@code modelDir} on {@code device}; {@code precision} applies to the CUDA backend, {@code kvCacheDtype} to
   * both (the CPU backend rounds its K/V as the CUDA one stores them). Both are given: nothing here reads the
   * environment (the command line and the connector parse their settings once, see
   * {@code ai.gptoss.engine.EngineSettings}).
   */
  public static Backend open(Path modelDir, String device, Precision precision, KvCacheDtype kvCacheDtype) {
    String d = device == null ? "auto" : device.trim().toLowerCase(java.util.Locale.ROOT);
    if (d.equals("auto")) d = CudaSupport.gpuCount() > 0 ? "cuda:0" : "cpu";
    boolean synthetic = modelDir.toString().startsWith("synthetic:");
    if (d.equals("cpu")) {
      if (synthetic) throw new IllegalArgumentException("--model " + modelDir + ": synthetic models are generated on the GPU; use --device cuda");
      try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
        return new CpuBackend(ModelWeights.load(ckpt), kvCacheDtype);
      }
    }
    if (d.equals("cuda") || d.startsWith("cuda:")) {
      int ordinal = 0;
      if (d.startsWith("cuda:")) {
        try {
          ordinal = Integer.parseInt(d.substring(5));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--device " + device + ": expected cuda:N with N a GPU number");
        }
      }
      return CudaSupport.open(modelDir, ordinal, precision, kvCacheDtype);
    }
    throw new IllegalArgumentException("--device " + device + ": expected cpu, cuda, cuda:N or auto");
  }
}
