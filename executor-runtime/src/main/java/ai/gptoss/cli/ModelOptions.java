package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Backends;
import ai.gptoss.backend.Precision;
import ai.gptoss.model.EmbeddedModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model}, {@code --device} and {@code --precision}, shared by every command that runs the model. */
final class ModelOptions {
  @Option(names = "--model", paramLabel = "DIR",
      description = "Model directory (config.json + safetensors). Default: the embedded tiny-qa model.")
  Path model;

  @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto",
      description = "cpu, cuda, cuda:N, or auto (first GPU when present, else CPU). Default: ${DEFAULT-VALUE}.")
  String device;

  @Option(names = "--precision", paramLabel = "MODE",
      description = "CUDA backend: exact (float32 K/V, matches transformers' float32), balanced (bf16 K/V), or fast "
          + "(bf16 K/V and activations). Default: ${env:GPTOSS_PRECISION:-exact}.")
  String precision;

  Path modelDir() {
    return model != null ? model : EmbeddedModel.path();
  }

  Backend open() {
    return Backends.open(modelDir(), device, precision());
  }

  Precision precision() {
    return Precision.fromOption(precision, "--precision");
  }
}
