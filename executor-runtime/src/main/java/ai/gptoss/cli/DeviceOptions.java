package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Backends;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
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
   * The backend of the model in {@code modelDir} (or a synthetic:NAME model) on the chosen device, with the K/V cache
   * type of {@value KvCacheDtype#ENV} (read here, once, at the command's edge).
   */
  Backend open(Path modelDir) {
    return Backends.open(modelDir, device, precision(), KvCacheDtype.fromEnvironment());
  }
}
