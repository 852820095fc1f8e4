package ai.gptoss.backend;

import java.util.Locale;

/**
 * How closely the CUDA backend follows the float32 reference (the pure-Java backend is float32 in
 * every mode). Weights are exact either way (bf16 as published, MXFP4 experts).
 *
 * <ul>
 *   <li>{@link #FAST} ({@link #DEFAULT}): bf16 K/V, activations rounded to bf16 once, tensor-core
 *       attention: the throughput figures' mode. The default because it is what serving stacks give
 *       (vLLM and TensorRT-LLM default to bf16) and because {@link #EXACT} ran the 1,024 x 1,024 -> 1,024
 *       benchmark at 29% of its throughput on an H100 (BENCHMARKS.md).
 *   <li>{@link #BALANCED}: bf16 K/V (as vLLM's default cache), paired activations, tensor-core
 *       attention. Near-ties (reference top-2 margins below ~0.15) may resolve differently; logits
 *       within ~1e-2.
 *   <li>{@link #EXACT} (opt-in, the reference): K and V stored in float32, activations fed to the
 *       tensor cores as a bf16 high/low pair (about 16 mantissa bits). Matches transformers in float32:
 *       every teacher-forced top-1 of the conformance fixtures, logits within ~3e-5 relative L2
 *       (BENCHMARKS.md). Twice the KV memory of the other modes, and attention on CUDA cores.
 * </ul>
 *
 * <p>{@link KvCacheDtype} ({@code GPTOSS_KV_CACHE_DTYPE}) overrides the K/V format of any of them, e.g.
 * FP8 E4M3 for the largest batches.
 */
public enum Precision {
  EXACT(false, true),
  BALANCED(true, true),
  FAST(true, false);

  /** What a user gets without asking: {@link #FAST} (bf16 K/V). The pure-Java backend is float32 whatever this says. */
  public static final Precision DEFAULT = FAST;

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

  /** Parses "exact", "balanced" or "fast"; null or blank: {@link #DEFAULT}; {@code source} names the option in the error. */
  public static Precision parse(String value, String source) {
    if (value == null || value.isBlank()) return DEFAULT;
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "exact" -> EXACT;
      case "balanced" -> BALANCED;
      case "fast" -> FAST;
      default -> throw new IllegalArgumentException(source + "=" + value + ": expected exact, balanced or fast (default)");
    };
  }

  /** From {@value #ENV}, else {@link #DEFAULT}. */
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
