package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Backends;
import ai.gptoss.model.EmbeddedModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model} and {@code --device}, shared by every command that runs the model. */
final class ModelOptions {
  @Option(names = "--model", paramLabel = "DIR",
      description = "Model directory (config.json + safetensors). Default: the embedded tiny-qa model.")
  Path model;

  @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto",
      description = "cpu, cuda, cuda:N, or auto (first GPU when present, else CPU). Default: ${DEFAULT-VALUE}.")
  String device;

  Path modelDir() {
    return model != null ? model : EmbeddedModel.path();
  }

  Backend open() {
    return Backends.open(modelDir(), device);
  }
}
