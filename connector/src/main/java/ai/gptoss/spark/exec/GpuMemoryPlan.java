package ai.gptoss.spark.exec;

import ai.gptoss.spark.GptossConf;
import java.util.Locale;
import java.util.Map;

/**
 * How much of an executor's GPU the engine may use, given what the RAPIDS Accelerator's memory pool
 * settings leave. RAPIDS sizes its pool when the executor starts, before any task runs:
 * {@code pool = min(allocFraction * total, total - reserve)}, and keeps {@code reserve} outside it for
 * itself (CUDA context, non-pool allocations). The engine gets what is left, and fails at start, naming
 * the setting to change, when its weights, a minimal KV cache and its own overhead cannot fit there.
 *
 * <p>Without RAPIDS (no {@code com.nvidia.spark.SQLPlugin} in {@code spark.plugins}, or
 * {@code spark.rapids.sql.enabled=false}) the engine takes {@code spark.gptoss.gpu.memory_fraction} of
 * the GPU. With {@code spark.rapids.memory.gpu.pool=NONE} RAPIDS allocates on demand and has no fixed
 * share: the engine then also takes {@code memory_fraction}, and the rest is RAPIDS'.
 *
 * @param engineBytes bytes the engine may use in total (weights, KV cache, workspace)
 * @param kvBudgetBytes of those, bytes for the KV cache
 * @param rapidsPoolBytes what RAPIDS' pool may take (0 without RAPIDS or with pool NONE)
 */
record GpuMemoryPlan(long engineBytes, long kvBudgetBytes, long rapidsPoolBytes) {
  /** RAPIDS Accelerator settings read to share the GPU (strings: no RAPIDS jar needed). */
  private static final String RAPIDS_PLUGIN_CLASS = "com.nvidia.spark.SQLPlugin";
  private static final String RAPIDS_SQL_ENABLED = "spark.rapids.sql.enabled";
  private static final String RAPIDS_ALLOC_FRACTION = "spark.rapids.memory.gpu.allocFraction";
  private static final String RAPIDS_RESERVE = "spark.rapids.memory.gpu.reserve";
  private static final String RAPIDS_POOL = "spark.rapids.memory.gpu.pool";
  /**
   * CUDA context, kernels and cuBLAS workspace: kept free of the KV cache in this plan. The step buffers
   * (gigabytes at 16,384-token steps) are reserved by the backend's own KV budget, which is computed from
   * the memory actually free and which the engine takes the smaller of with this plan's.
   */
  static final long ENGINE_OVERHEAD_BYTES = 1L << 30;
  static final double RAPIDS_ALLOC_FRACTION_DEFAULT = 1.0;
  static final long RAPIDS_RESERVE_DEFAULT = 640L << 20;

  /**
   * @param gpu the device ("cuda:0"), for messages
   * @param totalBytes the GPU's memory
   * @param weightBytes the model's weights
   * @param minKvBytes the smallest KV cache that lets one sequence run
   * @param sparkConf the executor's Spark configuration (RAPIDS keys are read as strings)
   * @param memoryFraction {@code spark.gptoss.gpu.memory_fraction}
   */
  static GpuMemoryPlan plan(String gpu, long totalBytes, long weightBytes, long minKvBytes, Map<String, String> sparkConf,
      double memoryFraction) {
    long need = weightBytes + minKvBytes + ENGINE_OVERHEAD_BYTES;
    boolean rapids = rapidsActive(sparkConf);
    String pool = sparkConf.getOrDefault(RAPIDS_POOL, "ASYNC").trim().toUpperCase(Locale.ROOT);
    if (!rapids || pool.equals("NONE")) {
      long engine = (long) (totalBytes * memoryFraction);
      if (engine < need) {
        throw new IllegalStateException("gpt-oss engine on " + gpu + " needs " + gib(need) + " (weights " + gib(weightBytes)
            + ", minimal KV cache " + gib(minKvBytes) + ", overhead " + gib(ENGINE_OVERHEAD_BYTES) + ") but "
            + GptossConf.SESSION_PREFIX + GptossConf.GPU_MEMORY_FRACTION + "=" + memoryFraction + " of " + gib(totalBytes)
            + " gives it " + gib(engine) + ": raise " + GptossConf.SESSION_PREFIX + GptossConf.GPU_MEMORY_FRACTION
            + " to at least " + fraction(need, totalBytes) + " or use a GPU with more memory");
      }
      return new GpuMemoryPlan(engine, engine - weightBytes - ENGINE_OVERHEAD_BYTES, 0);
    }
    double allocFraction = parseFraction(sparkConf, RAPIDS_ALLOC_FRACTION, RAPIDS_ALLOC_FRACTION_DEFAULT);
    long reserve = sparkConf.containsKey(RAPIDS_RESERVE)
        ? parseBytes(RAPIDS_RESERVE, sparkConf.get(RAPIDS_RESERVE)) : RAPIDS_RESERVE_DEFAULT;
    long rapidsPool = Math.max(0, Math.min((long) (allocFraction * totalBytes), totalBytes - reserve));
    long left = totalBytes - rapidsPool - reserve;
    if (left < need) {
      double maxAlloc = Math.floor((double) (totalBytes - reserve - need) / totalBytes * 100) / 100;
      String fix = maxAlloc > 0
          ? "set " + RAPIDS_ALLOC_FRACTION + " to at most " + maxAlloc + " (e.g. --conf "
              + RAPIDS_ALLOC_FRACTION + "=" + maxAlloc + ")"
          : "the model does not fit beside RAPIDS' reserve on this GPU: use a larger GPU or disable RAPIDS for this job ("
              + RAPIDS_SQL_ENABLED + "=false)";
      throw new IllegalStateException("gpt-oss engine on " + gpu + " needs " + gib(need) + " (weights " + gib(weightBytes)
          + ", minimal KV cache " + gib(minKvBytes) + ", overhead " + gib(ENGINE_OVERHEAD_BYTES) + ") but the RAPIDS "
          + "Accelerator's pool may take " + gib(rapidsPool) + " (" + RAPIDS_ALLOC_FRACTION + "=" + allocFraction
          + " of " + gib(totalBytes) + ") and " + RAPIDS_RESERVE + " keeps " + gib(reserve) + ", leaving "
          + gib(left) + ": " + fix);
    }
    return new GpuMemoryPlan(left, left - weightBytes - ENGINE_OVERHEAD_BYTES, rapidsPool);
  }

  /**
   * The K/V cap of an engine whose ranks sit on {@code rankGpus} (one entry per rank; one rank: a one-GPU engine), in
   * bytes of all ranks' K/V, as {@link ai.gptoss.backend.parallel.RankPlacement#kvBudget} counts them: every GPU is
   * planned ({@link #plan}) for the weights and minimal K/V of the ranks it holds, and since every rank holds the same
   * pages, the engine gets the tightest GPU's share per rank times the ranks. Throws as {@link #plan} does, naming the
   * GPU that cannot hold its ranks.
   *
   * @param totalBytes each GPU's memory, by CUDA device number
   * @param rankWeightBytes the weights one rank holds (the whole model with one rank)
   */
  static long engineKvBudget(java.util.List<Integer> rankGpus, java.util.function.IntToLongFunction totalBytes,
      long rankWeightBytes, long minKvBytes, Map<String, String> sparkConf, double memoryFraction) {
    long perRank = Long.MAX_VALUE;
    for (int gpu : new java.util.TreeSet<>(rankGpus)) {
      int ranks = java.util.Collections.frequency(rankGpus, gpu);
      String name = "cuda:" + gpu + (rankGpus.size() > 1 ? " (" + ranks + " of its " + rankGpus.size() + " ranks)" : "");
      GpuMemoryPlan p = plan(name, totalBytes.applyAsLong(gpu), ranks * rankWeightBytes, ranks * minKvBytes, sparkConf,
          memoryFraction);
      perRank = Math.min(perRank, p.kvBudgetBytes() / ranks);
    }
    return perRank * rankGpus.size();
  }

  static boolean rapidsActive(Map<String, String> conf) {
    String plugins = conf.getOrDefault("spark.plugins", "");
    boolean plugin = false;
    for (String p : plugins.split(",")) plugin |= p.trim().equals(RAPIDS_PLUGIN_CLASS);
    return plugin && !"false".equalsIgnoreCase(conf.getOrDefault(RAPIDS_SQL_ENABLED, "true").trim());
  }

  private static double parseFraction(Map<String, String> conf, String key, double dflt) {
    String v = conf.get(key);
    if (v == null) return dflt;
    try {
      double d = Double.parseDouble(v.trim());
      if (d >= 0 && d <= 1) return d;
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new IllegalArgumentException(key + ": expected a fraction in [0, 1], got '" + v + "'");
  }

  /** Spark's byte strings: 640m, 1g, 512k, 1024 (bytes when no suffix, as RAPIDS' reserve). */
  static long parseBytes(String key, String v) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    if (s.endsWith("b") && s.length() > 1 && !Character.isDigit(s.charAt(s.length() - 2))) s = s.substring(0, s.length() - 1);
    long mult = 1;
    char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
    switch (last) {
      case 'k' -> mult = 1L << 10;
      case 'm' -> mult = 1L << 20;
      case 'g' -> mult = 1L << 30;
      case 't' -> mult = 1L << 40;
      default -> mult = 1;
    }
    if (mult != 1) s = s.substring(0, s.length() - 1);
    try {
      return Long.parseLong(s.trim()) * mult;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": expected a size such as 640m or 1g, got '" + v + "'");
    }
  }

  private static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }

  private static String fraction(long need, long total) {
    return String.format(Locale.ROOT, "%.2f", Math.ceil((double) need / total * 100) / 100);
  }
}
