package ai.gptoss.cli;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.batch.RequestLine;
import ai.gptoss.structured.ResponseFormat;
import picocli.CommandLine.Option;

/**
 * {@code --max-new-tokens}, {@code --temperature}, {@code --top-p}, {@code --top-k}, {@code --seed}: the request
 * settings of the batch entry points ({@code generate} and {@code spark-generate}, a picocli mixin of both), the
 * defaults of input lines that give none. Their ranges are checked by the engine, once per request.
 */
public final class SamplingOptions {
  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = MaxNewTokens.AUTO,
      description = "Generation limit per request (line): auto (the rest of the model's context, as vLLM) or a count. A "
          + "request cut off by it gets finish_reason length and an error saying so. Default: ${DEFAULT-VALUE}.")
  String maxNewTokens;

  @Option(names = "--temperature", defaultValue = "0", description = "0 (default) is greedy.")
  float temperature;

  @Option(names = "--top-p", defaultValue = "1",
      description = "Nucleus sampling: keep the most likely tokens up to this probability mass, in (0, 1]. Default: 1 (off).")
  float topP;

  @Option(names = "--top-k", defaultValue = "0", description = "Keep only the k most likely tokens. Default: 0 (off).")
  int topK;

  @Option(names = "--seed", defaultValue = "0",
      description = "Sampling seed (with --temperature > 0): the same seed gives the same tokens; spark-generate derives "
          + "each line's from it. Default: ${DEFAULT-VALUE}.")
  long seed;

  /** {@code --max-new-tokens}: a count, or {@link MaxNewTokens#AUTO_VALUE}; fails naming the option. */
  public int maxNewTokens() {
    return MaxNewTokens.parse(maxNewTokens, "--max-new-tokens");
  }

  public SamplingParams sampling() {
    return SamplingParams.of(temperature, topP, topK, seed);
  }

  /** The defaults of input lines, unconstrained ({@code responseFormat} null) or following {@code responseFormat}. */
  public RequestLine.Defaults lineDefaults(ResponseFormat responseFormat) {
    return new RequestLine.Defaults(maxNewTokens(), sampling(), responseFormat);
  }
}
