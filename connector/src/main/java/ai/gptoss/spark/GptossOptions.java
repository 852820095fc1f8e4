package ai.gptoss.spark;

import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.spark.exec.DeviceChoice;
import ai.gptoss.spark.typed.SchemaType;
import ai.gptoss.spark.typed.SchemaTypes;
import ai.gptoss.spark.typed.TypedAnswer;
import ai.gptoss.structured.ResponseFormat;
import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The resolved options of one {@code gptoss()} call (see {@link GptossConf} for keys, defaults and
 * precedence). Built on the driver, shipped to the executors with the plan.
 *
 * @param responseFormatJson the {@code response_format} as given (checked by {@link ResponseFormat#parse}), or null
 */
public record GptossOptions(
    String model,
    int maxNewTokens,
    float temperature,
    float topP,
    int topK,
    long seed,
    String reasoningEffort,
    String instructions,
    String date,
    int maxInFlight,
    int maxPromptTokens,
    boolean failOnError,
    boolean structOutput,
    String device,
    Precision precision,
    int engineMaxSeqs,
    int engineMaxBatchedTokens,
    double gpuMemoryFraction,
    boolean ignoreEos,
    KvCacheDtype kvCacheDtype,
    boolean engineSwitchFail,
    boolean prefixCaching,
    String responseFormatJson,
    int tensorParallelSize,
    boolean expertParallel) implements Serializable {

  /** Defaults only (no function options, no session configuration). */
  public static GptossOptions defaults() {
    return resolve(Map.of(), k -> null);
  }

  /**
   * Resolves every option: {@code functionOptions} first, then {@code session} (called with the full key,
   * {@code spark.gptoss.<option>}, returning null when unset), then the default. Unknown function options
   * and malformed values fail with a message naming the option and where it came from.
   */
  public static GptossOptions resolve(Map<String, String> functionOptions, Function<String, String> session) {
    Map<String, String> fn = new TreeMap<>();
    for (Map.Entry<String, String> e : functionOptions.entrySet()) {
      String k = e.getKey() == null ? "" : e.getKey().trim().toLowerCase(Locale.ROOT);
      if (!GptossConf.KEYS.contains(k)) {
        throw new IllegalArgumentException("gptoss(): unknown option '" + e.getKey() + "'; known options: "
            + String.join(", ", GptossConf.KEYS));
      }
      fn.put(k, e.getValue());
    }
    Source s = new Source(fn, session);
    String effort = s.string(GptossConf.REASONING_EFFORT, GptossConf.REASONING_EFFORT_DEFAULT).toLowerCase(Locale.ROOT);
    if (!effort.equals("low") && !effort.equals("medium") && !effort.equals("high")) {
      throw s.bad(GptossConf.REASONING_EFFORT, "expected low, medium or high");
    }
    String errorMode = s.string(GptossConf.ERROR_MODE, GptossConf.ERROR_MODE_NULL).toLowerCase(Locale.ROOT);
    if (!errorMode.equals(GptossConf.ERROR_MODE_NULL) && !errorMode.equals(GptossConf.ERROR_MODE_FAIL)) {
      throw s.bad(GptossConf.ERROR_MODE, "expected null or fail");
    }
    String output = s.string(GptossConf.OUTPUT, GptossConf.OUTPUT_STRING).toLowerCase(Locale.ROOT);
    if (!output.equals(GptossConf.OUTPUT_STRING) && !output.equals(GptossConf.OUTPUT_STRUCT)) {
      throw s.bad(GptossConf.OUTPUT, "expected string or struct");
    }
    String device;
    try {
      device = DeviceChoice.parseOption(s.string(GptossConf.DEVICE, GptossConf.DEVICE_DEFAULT));
    } catch (IllegalArgumentException e) {
      throw s.bad(GptossConf.DEVICE, e.getMessage());
    }
    Precision precision;
    try {
      precision = Precision.parse(s.string(GptossConf.PRECISION, GptossConf.PRECISION_DEFAULT), GptossConf.PRECISION);
    } catch (IllegalArgumentException e) {
      throw s.bad(GptossConf.PRECISION, "expected exact, balanced or fast (default)");
    }
    float temperature = (float) s.dbl(GptossConf.TEMPERATURE, GptossConf.TEMPERATURE_DEFAULT);
    if (!(temperature >= 0f)) throw s.bad(GptossConf.TEMPERATURE, "expected a number >= 0");
    float topP = (float) s.dbl(GptossConf.TOP_P, GptossConf.TOP_P_DEFAULT);
    if (!(topP > 0f && topP <= 1f)) throw s.bad(GptossConf.TOP_P, "expected a number in (0, 1]");
    String kvCacheDtypeText = s.string(GptossConf.KV_CACHE_DTYPE, null);
    KvCacheDtype kvCacheDtype = null;
    if (kvCacheDtypeText != null) {
      try {
        kvCacheDtype = KvCacheDtype.parse(kvCacheDtypeText, GptossConf.KV_CACHE_DTYPE);
      } catch (RuntimeException e) {
        throw s.bad(GptossConf.KV_CACHE_DTYPE, "expected auto, bf16 or fp8");
      }
    }
    String engineSwitch = s.string(GptossConf.ENGINE_SWITCH, GptossConf.ENGINE_SWITCH_WAIT).trim().toLowerCase(Locale.ROOT);
    if (!engineSwitch.equals(GptossConf.ENGINE_SWITCH_WAIT) && !engineSwitch.equals(GptossConf.ENGINE_SWITCH_FAIL)) {
      throw s.bad(GptossConf.ENGINE_SWITCH, "expected wait or fail");
    }
    String responseFormat = emptyToNull(s.string(GptossConf.RESPONSE_FORMAT, null));
    if (responseFormat != null) {
      try {
        SchemaTypes.of(ResponseFormat.parse(responseFormat));
      } catch (IllegalArgumentException e) {
        String m = e.getMessage();
        throw new IllegalArgumentException(s.where(GptossConf.RESPONSE_FORMAT) + ": "
            + (m.startsWith(TypedAnswer.PREFIX) ? m.substring(TypedAnswer.PREFIX.length()) : m), e);
      }
    }
    double gpuFraction = s.dbl(GptossConf.GPU_MEMORY_FRACTION, GptossConf.GPU_MEMORY_FRACTION_DEFAULT);
    if (!(gpuFraction > 0 && gpuFraction <= 1)) throw s.bad(GptossConf.GPU_MEMORY_FRACTION, "expected a number in (0, 1]");
    int tensorParallelSize = s.integer(GptossConf.TENSOR_PARALLEL_SIZE, GptossConf.TENSOR_PARALLEL_SIZE_DEFAULT, 1);
    int listed = DeviceChoice.listed(device).size();
    if (listed > 1 && listed != tensorParallelSize) {
      throw s.bad(GptossConf.DEVICE, "lists " + listed + " GPUs, one per rank, but " + GptossConf.TENSOR_PARALLEL_SIZE
          + " is " + tensorParallelSize);
    }
    return new GptossOptions(
        s.string(GptossConf.MODEL, GptossConf.MODEL_DEFAULT).trim(),
        s.maxNewTokens(),
        temperature,
        topP,
        s.integer(GptossConf.TOP_K, GptossConf.TOP_K_DEFAULT, 0),
        s.lng(GptossConf.SEED, GptossConf.SEED_DEFAULT),
        effort,
        emptyToNull(s.string(GptossConf.INSTRUCTIONS, null)),
        emptyToNull(s.string(GptossConf.DATE, null)),
        s.countOrAuto(GptossConf.MAX_IN_FLIGHT, GptossConf.MAX_IN_FLIGHT_DEFAULT),
        s.integer(GptossConf.MAX_PROMPT_TOKENS, GptossConf.MAX_PROMPT_TOKENS_DEFAULT, 0),
        errorMode.equals(GptossConf.ERROR_MODE_FAIL),
        output.equals(GptossConf.OUTPUT_STRUCT),
        device,
        precision,
        s.countOrAuto(GptossConf.ENGINE_MAX_SEQS, GptossConf.ENGINE_MAX_SEQS_DEFAULT),
        s.countOrAuto(GptossConf.ENGINE_MAX_BATCHED_TOKENS, GptossConf.ENGINE_MAX_BATCHED_TOKENS_DEFAULT),
        gpuFraction,
        s.bool(GptossConf.IGNORE_EOS, false),
        kvCacheDtype,
        engineSwitch.equals(GptossConf.ENGINE_SWITCH_FAIL),
        s.bool(GptossConf.PREFIX_CACHING, true),
        responseFormat,
        tensorParallelSize,
        s.bool(GptossConf.EXPERT_PARALLEL, false));
  }

  /** The {@code response_format}, or null when answers are free text. */
  public ResponseFormat responseFormat() {
    return responseFormatJson == null ? null : ResponseFormat.parse(responseFormatJson);
  }

  /** The Spark type of {@code response_format}'s values, or null without one. */
  public SchemaType valueType() {
    return responseFormatJson == null ? null : SchemaTypes.of(responseFormat());
  }

  /**
   * Fails on a session conf key under {@code spark.gptoss.} that is no option, as an unknown function
   * option does (a typo such as {@code spark.gptoss.max_tokens} would otherwise be ignored).
   */
  public static void checkSessionKeys(Iterable<String> sessionKeys) {
    for (String key : sessionKeys) {
      if (!key.startsWith(GptossConf.SESSION_PREFIX)) continue;
      String option = key.substring(GptossConf.SESSION_PREFIX.length());
      if (!GptossConf.KEYS.contains(option)) {
        throw new IllegalArgumentException("session conf '" + key + "': unknown gptoss option; known options: "
            + GptossConf.SESSION_PREFIX + "{" + String.join(", ", GptossConf.KEYS) + "}");
      }
    }
  }

  /** The options that differ from the defaults, as {@code key=value} (shown in query plans). */
  @Override
  public String toString() {
    GptossOptions d = DEFAULTS;
    StringBuilder b = new StringBuilder("{");
    add(b, GptossConf.MODEL, model, d.model);
    add(b, GptossConf.MAX_NEW_TOKENS, maxNewTokens, d.maxNewTokens);
    add(b, GptossConf.TEMPERATURE, temperature, d.temperature);
    add(b, GptossConf.TOP_P, topP, d.topP);
    add(b, GptossConf.TOP_K, topK, d.topK);
    add(b, GptossConf.SEED, seed, d.seed);
    add(b, GptossConf.REASONING_EFFORT, reasoningEffort, d.reasoningEffort);
    add(b, GptossConf.INSTRUCTIONS, instructions, d.instructions);
    add(b, GptossConf.DATE, date, d.date);
    add(b, GptossConf.MAX_IN_FLIGHT, maxInFlight, d.maxInFlight);
    add(b, GptossConf.MAX_PROMPT_TOKENS, maxPromptTokens, d.maxPromptTokens);
    add(b, GptossConf.ERROR_MODE, failOnError ? "fail" : "null", d.failOnError ? "fail" : "null");
    add(b, GptossConf.OUTPUT, structOutput ? "struct" : "string", d.structOutput ? "struct" : "string");
    add(b, GptossConf.DEVICE, device, d.device);
    add(b, GptossConf.PRECISION, precision.id(), d.precision.id());
    add(b, GptossConf.ENGINE_MAX_SEQS, engineMaxSeqs, d.engineMaxSeqs);
    add(b, GptossConf.ENGINE_MAX_BATCHED_TOKENS, engineMaxBatchedTokens, d.engineMaxBatchedTokens);
    add(b, GptossConf.GPU_MEMORY_FRACTION, gpuMemoryFraction, d.gpuMemoryFraction);
    add(b, GptossConf.IGNORE_EOS, ignoreEos, d.ignoreEos);
    add(b, GptossConf.KV_CACHE_DTYPE, kvCacheDtype == null ? null : kvCacheDtype.name().toLowerCase(Locale.ROOT),
        d.kvCacheDtype == null ? null : d.kvCacheDtype.name().toLowerCase(Locale.ROOT));
    add(b, GptossConf.ENGINE_SWITCH, engineSwitchFail ? "fail" : "wait", d.engineSwitchFail ? "fail" : "wait");
    add(b, GptossConf.PREFIX_CACHING, prefixCaching, d.prefixCaching);
    add(b, GptossConf.TENSOR_PARALLEL_SIZE, tensorParallelSize, d.tensorParallelSize);
    add(b, GptossConf.EXPERT_PARALLEL, expertParallel, d.expertParallel);
    add(b, GptossConf.RESPONSE_FORMAT, responseFormatJson == null ? null : "json_schema(" + responseFormat().name() + ")", null);
    return b.append('}').toString();
  }

  private static final GptossOptions DEFAULTS = defaults();

  private static void add(StringBuilder b, String key, Object v, Object dflt) {
    if (java.util.Objects.equals(v, dflt)) return;
    if (b.length() > 1) b.append(", ");
    b.append(key).append('=').append(v);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** Looks a key up by precedence and remembers where a value came from, for error messages. */
  private record Source(Map<String, String> fn, Function<String, String> session) {
    String raw(String key) {
      String v = fn.get(key);
      if (v != null) return v;
      return session.apply(GptossConf.SESSION_PREFIX + key);
    }

    String where(String key) {
      return fn.containsKey(key) ? "gptoss() option '" + key + "'" : "session conf '" + GptossConf.SESSION_PREFIX + key + "'";
    }

    IllegalArgumentException bad(String key, String expected) {
      return new IllegalArgumentException(where(key) + ": " + expected + ", got '" + raw(key) + "'");
    }

    String string(String key, String dflt) {
      String v = raw(key);
      return v == null ? dflt : v;
    }

    int integer(String key, int dflt, int min) {
      return integer(key, dflt, min, "expected an integer >= " + min);
    }

    private int integer(String key, int dflt, int min, String expected) {
      String v = raw(key);
      if (v == null) return dflt;
      try {
        int i = Integer.parseInt(v.trim());
        if (i < min) throw bad(key, expected);
        return i;
      } catch (NumberFormatException e) {
        throw bad(key, expected);
      }
    }

    int maxNewTokens() {
      String v = raw(GptossConf.MAX_NEW_TOKENS);
      if (v == null) return GptossConf.MAX_NEW_TOKENS_DEFAULT;
      try {
        return ai.gptoss.batch.MaxNewTokens.parse(v, GptossConf.MAX_NEW_TOKENS);
      } catch (IllegalArgumentException e) {
        throw bad(GptossConf.MAX_NEW_TOKENS, "expected auto or an integer >= 1");
      }
    }

    /** {@code auto} (0) or an integer >= 1. */
    int countOrAuto(String key, int dflt) {
      String v = raw(key);
      if (v != null && v.trim().equalsIgnoreCase("auto")) return 0;
      return integer(key, dflt, 1, "expected auto or an integer >= 1");
    }

    boolean bool(String key, boolean dflt) {
      String v = raw(key);
      if (v == null) return dflt;
      return switch (v.trim().toLowerCase(Locale.ROOT)) {
        case "true" -> true;
        case "false" -> false;
        default -> throw bad(key, "expected true or false");
      };
    }

    long lng(String key, long dflt) {
      String v = raw(key);
      if (v == null) return dflt;
      try {
        return Long.parseLong(v.trim());
      } catch (NumberFormatException e) {
        throw bad(key, "expected an integer");
      }
    }

    double dbl(String key, double dflt) {
      String v = raw(key);
      if (v == null) return dflt;
      try {
        return Double.parseDouble(v.trim());
      } catch (NumberFormatException e) {
        throw bad(key, "expected a number");
      }
    }
  }
}
