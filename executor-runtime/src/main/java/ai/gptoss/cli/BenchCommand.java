package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.engine.EngineSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gptoss bench --model synthetic:gpt-oss-20b --prompts N --input-len L --output-len M}:
 * offline throughput with random prompts, every request generating exactly M tokens, through the
 * product's engine ({@link EngineBench}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Offline throughput: N random prompts of L tokens, M output tokens each (EOS ignored). "
        + "Prints one JSON line: output and total tokens/s, time to first token, decode step time, GPU memory.")
final class BenchCommand implements Callable<Integer> {
  private static final String ENGINE = "engine";

  /** Why {@code --driver loop} fails: what became of the loop, and what to pass instead. */
  private static final String LOOP_REMOVED = "--driver loop: the bench's own batching loop was removed on 2026-12-07 once the "
      + "engine driver matched it (0.98x its output tokens/s on an H100 at equal step budgets, BENCHMARKS.md); "
      + "pass --driver engine or leave --driver out";

  @Option(names = "--model", required = true, paramLabel = "DIR|synthetic:NAME",
      description = "A model directory, or synthetic:gpt-oss-20b / synthetic:gpt-oss-120b (random weights made on the GPU).")
  String model;

  @Mixin DeviceOptions device;

  @Option(names = "--prompts", defaultValue = "64", description = "Number of random prompts. Default: ${DEFAULT-VALUE}.") int prompts;

  @Option(names = "--input-len", defaultValue = "1024", description = "Tokens per prompt. Default: ${DEFAULT-VALUE}.") int inputLen;

  @Option(names = "--output-len", defaultValue = "1024",
      description = "Tokens generated per prompt (EOS ignored); 1: the prompts' prefill alone (the report adds "
          + "prefill_tokens_per_s, and with the ceilings prefill_limit_fraction). Default: ${DEFAULT-VALUE}.") int outputLen;

  @Option(names = "--max-batch-tokens", defaultValue = "0",
      description = "Token budget of one step. Default: 0 = the device's, as the engine: on GPUs of >= 70 GiB but "
          + "the A100 16384 (vLLM's offline default), other GPUs 8192, the CPU 2048.")
  int maxBatchTokens;

  @Option(names = "--max-seqs", defaultValue = "0",
      description = "Most requests running at once. Default: 0 = the device's: 1024 on GPUs of >= 70 GiB but the A100, else 256.")
  int maxSeqs;

  @Option(names = "--page-size", defaultValue = "16", description = "KV cache page size in tokens. Default: ${DEFAULT-VALUE}.") int pageSize;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the random prompts. Default: ${DEFAULT-VALUE}.") long seed;

  @Option(names = "--warmup", defaultValue = "true", arity = "1", description = "Run two small requests first (kernel load). Default: ${DEFAULT-VALUE}.")
  boolean warmup;

  @Option(names = "--driver", defaultValue = ENGINE, paramLabel = ENGINE,
      description = "engine, the only driver: the product's engine, as generate and Spark run it (accepted so that "
          + "scripts passing it still run). The bench's own batching loop (loop) was removed on 2026-12-07 once the "
          + "engine matched it. Default: ${DEFAULT-VALUE}.")
  String driver;

  @Option(names = "--prefix-caching", defaultValue = "true", arity = "1", paramLabel = "true|false",
      description = "Automatic prefix caching on or off. Default: ${DEFAULT-VALUE}.")
  boolean prefixCaching;

  @Option(names = "--shared-prefix-len", defaultValue = "0", paramLabel = "N",
      description = "Every prompt starts with the same N random tokens (a shared instruction), then its "
          + "own --input-len tokens. Default: ${DEFAULT-VALUE}.")
  int sharedPrefixLen;

  @Option(names = "--random-range-ratio", defaultValue = "0", paramLabel = "R",
      description = "Mixed lengths, as vLLM's: each prompt's input and output length drawn uniformly from "
          + "[L(1-R), L(1+R)] around --input-len and --output-len (seeded by --seed), R in [0, 1). Default: ${DEFAULT-VALUE}.")
  double randomRangeRatio;

  @Option(names = "--ceiling-gbps", defaultValue = "0",
      description = "Copy bandwidth measured on this card (GB/s); with --ceiling-tflops, the report adds the run's limit (ThroughputLimit).")
  double ceilingGbps;

  @Option(names = "--ceiling-tflops", defaultValue = "0", description = "bf16 matrix rate measured on this card (TFLOP/s).")
  double ceilingTflops;

  @Override
  public Integer call() throws Exception {
    if (prompts < 1 || inputLen < 1 || outputLen < 1) throw new IllegalArgumentException("--prompts, --input-len and --output-len must be at least 1");
    if (maxBatchTokens < 0 || maxSeqs < 0) throw new IllegalArgumentException("--max-batch-tokens and --max-seqs must be 0 (the device's) or more");
    if (driver.equals("loop")) throw new IllegalArgumentException(LOOP_REMOVED);
    if (!driver.equals(ENGINE)) throw new IllegalArgumentException("--driver must be engine (the only driver), got " + driver);
    if (sharedPrefixLen < 0) throw new IllegalArgumentException("--shared-prefix-len must not be negative, got " + sharedPrefixLen);
    BenchPrompts.Lengths lengths = BenchPrompts.Lengths.drawn(prompts, inputLen, outputLen, randomRangeRatio, seed);
    long l0 = System.nanoTime();
    try (Backend b = device.open(Path.of(model))) {
      double loadSeconds = (System.nanoTime() - l0) / 1e9;
      ObjectNode o = new ObjectMapper().createObjectNode();
      StepBudget step = b.defaultStepBudget().override(maxBatchTokens, maxSeqs);
      int maxBatchTokens = step.maxTokensPerStep(), maxSeqs = step.maxSeqsPerStep();
      EngineBench e = new EngineBench(b, pageSize, maxBatchTokens, maxSeqs, prefixCaching, sharedPrefixLen);
      BenchResult r = e.run(warmup ? 2 : 0, lengths, seed);
      o.put("engine_mean_batch", round(e.meanBatch()));
      o.put("engine_preemptions", e.preemptions());
      o.put("prefix_caching", prefixCaching);
      o.put("shared_prefix_len", sharedPrefixLen);
      o.put("cached_tokens", e.cachedTokens());
      o.put("prefix_hit_rate", round(e.hitRate()));
      o.put("prefix_cache_pages_max", e.maxCachedPages());
      // Peak bytes of K/V pages holding cached prefixes (full and sliding layers, K and V, at the K/V dtype).
      o.put("prefix_cache_bytes_max", e.maxCachedBytes());
      o.put("kv_page_bytes_full", e.fullPageBytes());
      o.put("kv_page_bytes_sliding", e.slidingPageBytes());
      o.put("driver", ENGINE);
      o.put("max_batch_tokens", maxBatchTokens);
      o.put("max_seqs", maxSeqs);
      o.put("model", model);
      o.put("device", b.name());
      EngineSettings asked = device.settings(model, 0, 0, prefixCaching);
      // The CUDA backend's precision; the pure-Java backend is float32 whatever was asked.
      o.put("precision", b.name().equals(EngineSettings.CPU) ? "float32" : asked.precision().id());
      o.put("kv_cache_dtype", asked.kvCacheDtype().name().toLowerCase(java.util.Locale.ROOT));
      o.put("prompts", prompts);
      o.put("input_len", inputLen);
      o.put("output_len", outputLen);
      o.put("random_range_ratio", randomRangeRatio);
      o.put("input_tokens", r.inputTokens());
      o.put("output_tokens", r.outputTokens());
      o.put("seconds", round(r.seconds()));
      o.put("output_tokens_per_s", round(r.outputTokensPerSecond()));
      o.put("total_tokens_per_s", round(r.totalTokensPerSecond()));
      o.put("ttft_mean_ms", round(r.ttftMeanMs()));
      o.put("ttft_p50_ms", round(r.ttftP50Ms()));
      o.put("decode_step_median_ms", round(r.decodeStepMedianMs()));
      o.put("decode_step_mean_ms", round(r.decodeStepMeanMs()));
      o.put("steps", r.steps());
      o.put("max_concurrent", r.maxConcurrent());
      o.put("kv_pages_full", r.fullPages());
      o.put("kv_pages_sliding", r.slidingPages());
      o.put("page_size", r.pageSize());
      o.put("load_seconds", round(loadSeconds));
      DeviceStats.put(b, o);
      if (ceilingGbps > 0 && ceilingTflops > 0) {
        ThroughputLimit limit = ThroughputLimit.of(b.config(), lengths, b.kvBytesPerElement(), ceilingGbps * 1e9, ceilingTflops * 1e12);
        o.put("limit_output_tokens_per_s", round(limit.outputTokensPerSecond()));
        o.put("limit_prefill_s", round(limit.prefillSeconds()));
        o.put("limit_decode_s", round(limit.decodeSeconds()));
        o.put("fraction_of_limit", round(r.outputTokensPerSecond() / limit.outputTokensPerSecond()));
        // Prefill alone (every request generates one token, sampled at the end of its prompt): the run is its
        // prompts' prefill, bound by the matrix rate; its fraction is the limit's prefill time over the run's.
        if (lengths.prefillOnly()) o.put("prefill_limit_fraction", round(limit.prefillSeconds() / r.seconds()));
      }
      if (lengths.prefillOnly()) o.put("prefill_tokens_per_s", round(r.inputTokens() / r.seconds()));
      System.out.println(new ObjectMapper().writeValueAsString(o));
      DeviceStats.profile(b);
    }
    return 0;
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
