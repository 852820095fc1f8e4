package ai.gptoss.backend.cuda;

import ai.gptoss.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code synthetic:gpt-oss-20b} and {@code synthetic:gpt-oss-120b}: the published models' exact
 * shapes (config.json of openai/gpt-oss-20b and -120b) with random weights made on the GPU.
 */
public final class SyntheticModels {
  public static final String PREFIX = "synthetic:";

  private SyntheticModels() {}

  public static ModelConfig config(String spec) {
    String name = spec.startsWith(PREFIX) ? spec.substring(PREFIX.length()) : spec;
    return switch (name) {
      case "gpt-oss-20b" -> gptOss(24, 32);
      case "gpt-oss-120b" -> gptOss(36, 128);
      default -> throw new IllegalArgumentException("--model " + spec + ": unknown synthetic model (expected "
          + PREFIX + "gpt-oss-20b or " + PREFIX + "gpt-oss-120b)");
    };
  }

  private static ModelConfig gptOss(int layers, int experts) {
    List<String> types = new ArrayList<>();
    for (int i = 0; i < layers; i++) types.add(i % 2 == 0 ? ModelConfig.SLIDING : ModelConfig.FULL);
    return new ModelConfig(201088, 2880, 2880, layers, 64, 8, 64, experts, 4, 128, 1e-5, 150000,
        new ModelConfig.RopeScaling("yarn", 32.0, 32.0, 1.0, 4096, false), 7.0, types, List.of(200002), 199999, 131072,
        "mxfp4");
  }
}
