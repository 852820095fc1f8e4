package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.engine.EngineSettings;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --device}, {@code --precision}, {@code --kv-cache-dtype}, {@code --tensor-parallel-size} and
 * {@code --expert-parallel}: where and how a model runs (a mixin of
 * ModelOptions and bench).
 */
final class DeviceOptions {
  @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto",
      description = "cpu, cuda, cuda:N, or auto (first GPU when present, else CPU). Default: ${DEFAULT-VALUE}.")
  String device;

  @Option(names = "--precision", paramLabel = "MODE",
      description = "CUDA backend: fast (bf16 K/V and activations), balanced (bf16 K/V), or exact (float32 K/V, "
          + "matches transformers' float32; the reference, slower). The CPU backend is float32 in every mode. "
          + "Default: ${env:GPTOSS_PRECISION:-fast}.")
  String precision;

  @Option(names = "--kv-cache-dtype", paramLabel = "TYPE",
      description = "K/V cache element type, as vLLM's kv_cache_dtype: auto (the precision's: bf16, float32 in exact "
          + "and on the CPU), bf16, or fp8 (E4M3; GPUs of compute capability 8.9+). Both backends honour it. "
          + "Default: ${env:GPTOSS_KV_CACHE_DTYPE:-auto}.")
  String kvCacheDtype;

  @Option(names = "--tensor-parallel-size", paramLabel = "N", defaultValue = "1",
      description = "Ranks one engine spans (vLLM's tensor_parallel_size): attention heads and expert widths split "
          + "over N. On the CPU, N simulated ranks (the twin of a multi-GPU engine); on GPUs this build supports 1 "
          + "only. Default: ${DEFAULT-VALUE}.")
  String tensorParallelSize;

  @Option(names = "--expert-parallel",
      description = "With --tensor-parallel-size above 1: whole experts placed on the ranks (tokens sent to their "
          + "experts' ranks and back) instead of every expert's width split.")
  boolean expertParallel;

  /** {@code --tensor-parallel-size} and {@code --expert-parallel}; errors name the flag. */
  ParallelPlan parallel() {
    return new ParallelPlan(ParallelPlan.parseSize(tensorParallelSize, "--tensor-parallel-size"), expertParallel);
  }

  Precision precision() {
    return Precision.fromOption(precision, "--precision");
  }

  /** The flag's K/V cache type (its error names {@code --kv-cache-dtype}), else {@value KvCacheDtype#ENV}'s. */
  KvCacheDtype kvCacheDtype() {
    return kvCacheDtype != null ? KvCacheDtype.parse(kvCacheDtype, "--kv-cache-dtype") : KvCacheDtype.fromEnvironment();
  }

  /**
   * The engine settings of {@code model} with these flags (the environment's defaults read here, once, at the
   * command's edge) and the given step budget (0: the device's) and prefix caching.
   */
  EngineSettings settings(String model, int maxSeqs, int maxBatchedTokens, boolean prefixCaching) {
    return new EngineSettings(model, device, precision(), kvCacheDtype(), maxSeqs, maxBatchedTokens, 0,
        prefixCaching, parallel());
  }

  /** The backend of the model in {@code modelDir} (or a synthetic:NAME model) on the chosen device. */
  Backend open(Path modelDir) {
    return settings(modelDir.toString(), 0, 0, true).open(modelDir);
  }
}
