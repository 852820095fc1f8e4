package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.model.EmbeddedModel;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code --model} with {@link DeviceOptions}' {@code --device} and {@code --precision}: every command that runs a model directory. */
final class ModelOptions {
  @Option(names = "--model", paramLabel = "DIR",
      description = "Model directory (config.json + safetensors). Default: the embedded tiny-qa model.")
  Path model;

  @Mixin DeviceOptions device;

  Path modelDir() {
    return model != null ? model : EmbeddedModel.path();
  }

  Backend open() {
    return device.open(modelDir());
  }

  /** The engine settings of these flags with a step budget (0: the device's) and prefix caching. */
  EngineSettings settings(int maxSeqs, int maxBatchedTokens, boolean prefixCaching) {
    return device.settings(model == null ? "" : model.toString(), maxSeqs, maxBatchedTokens, prefixCaching);
  }
}
