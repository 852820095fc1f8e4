package ai.gptoss.spark.exec;

import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import java.util.Locale;

/**
 * What makes an engine what it is on its device: every setting that changes what it loads or how it uses
 * device memory. A query whose settings equal the resident engine's shares it; any difference needs another
 * engine (see {@link EngineRegistry}). Settings that only apply to GPUs (precision, memory fraction) are null
 * / 0 on the CPU, so that changing them does not replace a CPU engine.
 *
 * @param model the {@code model} option ("" for the embedded tiny-qa)
 * @param precision the CUDA backend's precision (exact, balanced, fast); null on the CPU
 * @param kvCacheDtype the K/V cache type: the {@code kv_cache_dtype} option, else the executor's
 *     {@value KvCacheDtype#ENV}, else auto
 * @param maxSeqs the engine's sequence limit per step (0: the device's)
 * @param maxBatchedTokens the engine's token budget per step (0: the device's)
 * @param gpuMemoryFraction the share of the GPU the engine may take; 0 on the CPU
 * @param prefixCaching whether the engine caches prompt prefixes (the {@code prefix_caching} option)
 */
record EngineSettings(String model, String precision, KvCacheDtype kvCacheDtype, int maxSeqs, int maxBatchedTokens,
    double gpuMemoryFraction, boolean prefixCaching) {

  /** The settings {@code o} asks for on {@code device} ("cpu" or "cuda:N"); reads the environment on the executor. */
  static EngineSettings of(GptossOptions o, String device) {
    boolean gpu = !device.equals(DeviceChoice.CPU);
    KvCacheDtype kv = o.kvCacheDtype() != null
        ? KvCacheDtype.parse(o.kvCacheDtype(), GptossConf.SESSION_PREFIX + GptossConf.KV_CACHE_DTYPE)
        : KvCacheDtype.fromEnvironment();
    return new EngineSettings(o.model(), gpu ? o.precision() : null, kv, o.engineMaxSeqs(), o.engineMaxBatchedTokens(),
        gpu ? o.gpuMemoryFraction() : 0, o.prefixCaching());
  }

  String modelDisplay() {
    return model.isEmpty() ? "embedded tiny-qa" : model;
  }

  /** "model M, precision P, kv_cache_dtype K, engine.max_seqs S, engine.max_batched_tokens T, gpu.memory_fraction F". */
  String describe() {
    StringBuilder b = new StringBuilder("model ").append(modelDisplay());
    if (precision != null) b.append(", ").append(GptossConf.PRECISION).append(' ').append(precision);
    b.append(", ").append(GptossConf.KV_CACHE_DTYPE).append(' ').append(kvCacheDtype.name().toLowerCase(Locale.ROOT));
    b.append(", ").append(GptossConf.ENGINE_MAX_SEQS).append(' ').append(maxSeqs == 0 ? "auto" : String.valueOf(maxSeqs));
    b.append(", ").append(GptossConf.ENGINE_MAX_BATCHED_TOKENS).append(' ')
        .append(maxBatchedTokens == 0 ? "auto" : String.valueOf(maxBatchedTokens));
    if (gpuMemoryFraction > 0) b.append(", ").append(GptossConf.GPU_MEMORY_FRACTION).append(' ').append(gpuMemoryFraction);
    if (!prefixCaching) b.append(", ").append(GptossConf.PREFIX_CACHING).append(" false");
    return b.toString();
  }
}
