package ai.gptoss.engine;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Backends;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.parallel.ParallelPlan;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What makes an engine what it is: every setting that changes what it loads, where, or how it uses the device's
 * memory. Parsed once where the user gave it (a Spark option or session conf, a command-line flag, an environment
 * variable; each parser's errors name that source) and passed down as is: {@link #open} opens the backend with these
 * values and {@link #engineConfig} schedules with them, so nothing below reads a setting again. Equal settings mean
 * the same engine: Spark's executors share a resident engine between queries whose settings are equal.
 *
 * <p>Settings that only apply to GPUs are normalized away on the CPU ({@link #onDevice}), so that changing them does
 * not make a CPU engine different.
 *
 * @param model the model as the user named it (a directory, a Hadoop URI, {@code synthetic:NAME}); "" for the
 *     embedded tiny-qa
 * @param device {@code cpu} or {@code cuda:N} once chosen ({@link #onDevice}); before that the user's
 *     {@code auto}, {@code cuda} or one of those
 * @param precision the CUDA backend's precision ({@link Precision#DEFAULT}: fast, bf16 K/V, unless the user asked);
 *     null on the CPU (the pure-Java backend is float32 throughout, whatever the precision)
 * @param kvCacheDtype the K/V cache's element type (both backends honour it)
 * @param maxSeqs sequences per step (vLLM's {@code max_num_seqs}); 0: the device's default ({@link
 *     ai.gptoss.backend.StepBudget})
 * @param maxBatchedTokens tokens per step (vLLM's {@code max_num_batched_tokens}); 0: the device's default
 * @param gpuMemoryFraction the share of the GPU the engine may take; 0 on the CPU
 * @param prefixCaching whether the engine reuses the K/V of prompt prefixes it computed before
 * @param parallel {@code tensor_parallel_size} and {@code expert_parallel}: the ranks one engine spans (on the CPU
 *     the twin's simulated ranks; on CUDA one rank per GPU of the device setting, see docs/multi-gpu.md)
 */
public record EngineSettings(String model, String device, Precision precision, KvCacheDtype kvCacheDtype, int maxSeqs,
    int maxBatchedTokens, double gpuMemoryFraction, boolean prefixCaching, ParallelPlan parallel) {

  public static final String CPU = "cpu";

  public EngineSettings {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(kvCacheDtype, "kvCacheDtype");
    Objects.requireNonNull(parallel, "parallel");
    if (maxSeqs < 0) throw new IllegalArgumentException("maxSeqs must not be negative, got " + maxSeqs);
    if (maxBatchedTokens < 0) throw new IllegalArgumentException("maxBatchedTokens must not be negative, got " + maxBatchedTokens);
    if (!(gpuMemoryFraction >= 0 && gpuMemoryFraction <= 1)) {
      throw new IllegalArgumentException("gpuMemoryFraction must be in [0, 1], got " + gpuMemoryFraction);
    }
  }

  /**
   * The settings of a program that has no flags or options for them (the GPU checkers, benchmarks and tests that
   * build a backend directly): precision from {@value Precision#ENV}, the K/V cache type from
   * {@value KvCacheDtype#ENV} (their defaults when unset; an error names the variable), the device's step budget,
   * prefix caching on. One of the places settings are parsed (docs/configuration.md); backends never read them.
   */
  public static EngineSettings fromEnvironment(String model, String device) {
    return fromEnvironment(model, device, System::getenv);
  }

  /** As {@link #fromEnvironment(String, String)}, with the variables looked up in {@code env}. */
  static EngineSettings fromEnvironment(String model, String device, java.util.function.UnaryOperator<String> env) {
    return new EngineSettings(model, device, Precision.parse(env.apply(Precision.ENV), Precision.ENV),
        KvCacheDtype.parse(env.apply(KvCacheDtype.ENV), KvCacheDtype.ENV), 0, 0, 0, true);
  }

  /** One device, no parallelism. */
  public EngineSettings(String model, String device, Precision precision, KvCacheDtype kvCacheDtype, int maxSeqs,
      int maxBatchedTokens, double gpuMemoryFraction, boolean prefixCaching) {
    this(model, device, precision, kvCacheDtype, maxSeqs, maxBatchedTokens, gpuMemoryFraction, prefixCaching,
        ParallelPlan.SINGLE);
  }

  /** These settings with {@code parallel} instead. */
  public EngineSettings withParallel(ParallelPlan parallel) {
    return new EngineSettings(model, device, precision, kvCacheDtype, maxSeqs, maxBatchedTokens, gpuMemoryFraction,
        prefixCaching, parallel);
  }

  /** These settings on {@code device} ("cpu" or "cuda:N"): on the CPU without the GPU-only ones. */
  public EngineSettings onDevice(String device) {
    boolean gpu = !device.equals(CPU);
    return new EngineSettings(model, device, gpu ? precision : null, kvCacheDtype, maxSeqs, maxBatchedTokens,
        gpu ? gpuMemoryFraction : 0, prefixCaching, parallel);
  }

  public boolean onGpu() {
    return device.startsWith("cuda");
  }

  /** The embedded tiny-qa for "", else the model as given. */
  public String modelDisplay() {
    return model.isEmpty() ? "embedded tiny-qa" : model;
  }

  /** Opens {@code modelDir} (where {@link #model} is on this machine) on {@link #device}. */
  public Backend open(Path modelDir) {
    return Backends.open(modelDir, device, precision == null ? Precision.DEFAULT : precision, kvCacheDtype, parallel);
  }

  /** The engine's scheduling with these settings' step budget and prefix caching; everything else the defaults. */
  public EngineConfig engineConfig() {
    return EngineConfig.defaults().withMaxSeqsPerStep(maxSeqs).withMaxTokensPerStep(maxBatchedTokens)
        .withPrefixCaching(prefixCaching);
  }
}
