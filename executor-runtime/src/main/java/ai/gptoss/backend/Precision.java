package ai.gptoss.backend;

import java.util.Locale;

/**
 * How closely the CUDA backend follows the float32 reference (the pure-Java backend is float32 in
 * every mode). Weights are exact either way (bf16 as published, MXFP4 experts).
 *
 * <ul>
 *   <li>{@link #EXACT} (default): K and V stored in float32, activations fed to the tensor cores as a
 *       bf16 high/low pair (about 16 mantissa bits). Matches transformers in float32: every
 *       teacher-forced top-1 of the conformance fixtures, logits within ~3e-5 relative L2
 *       (BENCHMARKS.md). Twice the KV memory of the other modes, and attention on CUDA cores.
 *   <li>{@link #BALANCED}: bf16 K/V (as vLLM's default cache), paired activations, tensor-core
 *       attention. Near-ties (reference top-2 margins below ~0.15) may resolve differently; logits
 *       within ~1e-2.
 *   <li>{@link #FAST}: bf16 K/V, activations rounded to bf16 once: the throughput figures' mode.
 * </ul>
 *
 * <p>{@link KvCacheDtype} ({@code GPTOSS_KV_CACHE_DTYPE}) overrides the K/V format of any of them, e.g.
 * FP8 E4M3 for the largest batches.
 */
public enum Precision {
  EXACT(false, true),
  BALANCED(true, true),
  FAST(true, false);

  /** The environment variable that sets the default when no option is given. */
  public static final String ENV = "GPTOSS_PRECISION";

  /** K and V stored in bf16 (else float32). */
  public final boolean bf16Kv;
  /** Activations enter tensor-core products as a bf16 high/low pair (else one bf16). */
  public final boolean pairedActivations;

  Precision(boolean bf16Kv, boolean pairedActivations) {
    this.bf16Kv = bf16Kv;
    this.pairedActivations = pairedActivations;
  }

  /** Parses "exact", "balanced" or "fast"; {@code source} names the option in the error. */
  public static Precision parse(String value, String source) {
    if (value == null || value.isBlank()) return EXACT;
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "exact" -> EXACT;
      case "balanced" -> BALANCED;
      case "fast" -> FAST;
      default -> throw new IllegalArgumentException(source + "=" + value + ": expected exact (default), balanced or fast");
    };
  }

  /** From {@value #ENV}, else {@link #EXACT}. */
  public static Precision fromEnvironment() {
    return parse(System.getenv(ENV), ENV);
  }

  /** An option's value when given (its error names {@code option}), else {@link #fromEnvironment()}. */
  public static Precision fromOption(String value, String option) {
    return value != null ? parse(value, option) : fromEnvironment();
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
