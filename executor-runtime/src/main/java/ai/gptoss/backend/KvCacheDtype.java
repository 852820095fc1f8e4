package ai.gptoss.backend;

import java.util.Locale;

/**
 * The element type of the KV cache, set by {@value #ENV} (as vLLM's {@code kv_cache_dtype}):
 * {@link #AUTO} keeps each backend's own (float32 on the CPU; on the GPU float32 in precision exact,
 * bf16 otherwise), {@link #BF16} rounds K and V to bf16, {@link #FP8} to FP8 E4M3 with scale 1
 * ({@link Fp8E4M3}; the GPU needs compute capability 8.9 or later). Both backends honour it, so the
 * pure-Java backend stays the twin of the CUDA one: they store the same K and V.
 */
public enum KvCacheDtype {
  AUTO,
  BF16,
  FP8;

  public static final String ENV = "GPTOSS_KV_CACHE_DTYPE";

  /** Parses "auto", "bf16" or "fp8" (also vLLM's "fp8_e4m3"); {@code source} names the setting in the error. */
  public static KvCacheDtype parse(String value, String source) {
    if (value == null) return AUTO;
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "", "auto" -> AUTO;
      case "bf16", "bfloat16" -> BF16;
      case "fp8", "fp8_e4m3" -> FP8;
      default -> throw new BackendException(source + "=" + value + ": expected auto (default), bf16 or fp8");
    };
  }

  public static KvCacheDtype fromEnvironment() {
    return parse(System.getenv(ENV), ENV);
  }

  /** {@code x} as this cache stores it; AUTO: unchanged (float32). */
  public float round(float x) {
    return switch (this) {
      case AUTO -> x;
      case BF16 -> Bf16.round(x);
      case FP8 -> Fp8E4M3.round(x);
    };
  }
}
