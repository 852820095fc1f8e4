package ai.gptoss.spark.exec;

import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import java.util.Locale;

/**
 * The {@link EngineSettings} a {@code gptoss()} call asks for on a task's device, and how the connector names them
 * in its logs and errors. Two calls share a device's resident engine when these settings are equal (see {@link
 * EngineRegistry}).
 */
final class EngineIdentity {
  private EngineIdentity() {}

  /**
   * The settings {@code o} asks for on {@code device} ("cpu" or "cuda:N"). The K/V cache type is the option's, else
   * {@value KvCacheDtype#ENV} of this executor (read here, on the executor, where the engine runs), else auto.
   */
  static EngineSettings of(GptossOptions o, String device) {
    KvCacheDtype kv = o.kvCacheDtype() != null ? o.kvCacheDtype() : KvCacheDtype.fromEnvironment();
    return new EngineSettings(o.model(), device, o.precision(), kv, o.engineMaxSeqs(), o.engineMaxBatchedTokens(),
        o.gpuMemoryFraction(), o.prefixCaching())
        .withParallel(new ParallelPlan(o.tensorParallelSize(), o.expertParallel())).onDevice(device);
  }

  /** "model M, precision P, kv_cache_dtype K, engine.max_seqs S, engine.max_batched_tokens T, gpu.memory_fraction F". */
  static String describe(EngineSettings s) {
    StringBuilder b = new StringBuilder("model ").append(s.modelDisplay());
    if (s.precision() != null) b.append(", ").append(GptossConf.PRECISION).append(' ').append(s.precision().id());
    b.append(", ").append(GptossConf.KV_CACHE_DTYPE).append(' ').append(s.kvCacheDtype().name().toLowerCase(Locale.ROOT));
    b.append(", ").append(GptossConf.ENGINE_MAX_SEQS).append(' ').append(count(s.maxSeqs()));
    b.append(", ").append(GptossConf.ENGINE_MAX_BATCHED_TOKENS).append(' ').append(count(s.maxBatchedTokens()));
    if (s.gpuMemoryFraction() > 0) b.append(", ").append(GptossConf.GPU_MEMORY_FRACTION).append(' ').append(s.gpuMemoryFraction());
    if (!s.prefixCaching()) b.append(", ").append(GptossConf.PREFIX_CACHING).append(" false");
    if (s.parallel().parallel()) {
      b.append(", ").append(GptossConf.TENSOR_PARALLEL_SIZE).append(' ').append(s.parallel().ranks());
      if (s.parallel().expertParallel()) b.append(", ").append(GptossConf.EXPERT_PARALLEL);
    }
    return b.toString();
  }

  private static String count(int n) {
    return n == 0 ? "auto" : String.valueOf(n);
  }
}
