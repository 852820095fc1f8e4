package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.engine.EngineSettings;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --device} and {@code --precision}: where and how a model runs (a mixin of ModelOptions and bench). */
final class DeviceOptions {
  @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto",
      description = "cpu, cuda, cuda:N, or auto (first GPU when present, else CPU). Default: ${DEFAULT-VALUE}.")
  String device;

  @Option(names = "--precision", paramLabel = "MODE",
      description = "CUDA backend: exact (float32 K/V, matches transformers' float32), balanced (bf16 K/V), or fast "
          + "(bf16 K/V and activations). Default: ${env:GPTOSS_PRECISION:-exact}.")
  String precision;

  Precision precision() {
    return Precision.fromOption(precision, "--precision");
  }

  /**
   * The engine settings of {@code model} with these flags, the K/V cache type of {@value KvCacheDtype#ENV} (read here,
   * once, at the command's edge) and the given step budget (0: the device's) and prefix caching.
   */
  EngineSettings settings(String model, int maxSeqs, int maxBatchedTokens, boolean prefixCaching) {
    return new EngineSettings(model, device, precision(), KvCacheDtype.fromEnvironment(), maxSeqs, maxBatchedTokens, 0,
        prefixCaching);
  }

  /** The backend of the model in {@code modelDir} (or a synthetic:NAME model) on the chosen device. */
  Backend open(Path modelDir) {
    return settings(modelDir.toString(), 0, 0, true).open(modelDir);
  }
}
