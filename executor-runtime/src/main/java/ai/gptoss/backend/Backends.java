package ai.gptoss.backend;

import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.backend.parallel.ParallelCpuBackend;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.parallel.RankPlacement;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import java.nio.file.Path;

/**
 * Opens a model on a device: "cpu", "cuda", "cuda:N", or "auto" (the first GPU if present, else CPU); an engine
 * spanning several GPUs also on "cuda:N,M,..." (one GPU per rank: {@link RankPlacement}).
 */
public final class Backends {
  private Backends() {}

  /**
   * Opens {@code modelDir} on {@code device}; {@code precision} applies to the CUDA backend, {@code kvCacheDtype} to
   * both (the CPU backend rounds its K/V as the CUDA one stores them). Both are given: nothing here reads the
   * environment (the command line and the connector parse their settings once, see
   * {@code ai.gptoss.engine.EngineSettings}).
   */
  public static Backend open(Path modelDir, String device, Precision precision, KvCacheDtype kvCacheDtype) {
    return open(modelDir, device, precision, kvCacheDtype, ParallelPlan.SINGLE);
  }

  /**
   * As above, split over {@code plan}'s ranks when it has more than one: on the CPU the twin of a multi-GPU engine
   * ({@link ParallelCpuBackend}, N simulated ranks); on CUDA one engine over N GPUs ({@code ParallelCudaBackend}),
   * placed by {@link RankPlacement} from {@code device}. The plan is checked against the model's config first.
   */
  public static Backend open(Path modelDir, String device, Precision precision, KvCacheDtype kvCacheDtype,
      ParallelPlan plan) {
    String d = device == null ? "auto" : device.trim().toLowerCase(java.util.Locale.ROOT);
    if (d.equals("auto")) d = CudaSupport.gpuCount() > 0 ? "cuda:0" : "cpu";
    boolean synthetic = modelDir.toString().startsWith("synthetic:");
    if (d.equals("cpu")) {
      if (synthetic) throw new IllegalArgumentException("--model " + modelDir + ": synthetic models are generated on the GPU; use --device cuda");
      try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
        if (plan.parallel()) return ParallelCpuBackend.load(ckpt, plan, kvCacheDtype);
        return new CpuBackend(ModelWeights.load(ckpt), kvCacheDtype);
      }
    }
    if (d.equals("cuda") || d.startsWith("cuda:")) {
      if (plan.parallel()) {
        if (synthetic) throw new IllegalArgumentException("--model " + modelDir + ": synthetic models are not split over "
            + "several GPUs; use a checkpoint, or tensor_parallel_size=1");
        plan.check(ModelConfig.read(modelDir.resolve("config.json")));
        return CudaSupport.openParallel(modelDir, d, plan, precision, kvCacheDtype);
      }
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
