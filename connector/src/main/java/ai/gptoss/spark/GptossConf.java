package ai.gptoss.spark;

import java.util.List;

/**
 * Every option of {@code gptoss()}, in one place.
 *
 * <p>Precedence, highest first:
 * <ol>
 *   <li>the function's options: {@code gptoss(col, Map.of("max_new_tokens", "32"))} or, in SQL,
 *       {@code gptoss(prompt, map('max_new_tokens', '32'))};
 *   <li>the session's configuration: {@code spark.gptoss.<option>} ({@code SET spark.gptoss.max_new_tokens=32},
 *       {@code --conf spark.gptoss.max_new_tokens=32});
 *   <li>the defaults below.
 * </ol>
 * Options are resolved on the driver when the query is planned, so every task of a query sees the same
 * values. {@link #DEVICE} picks the device; each device runs one engine at a time, and the engine-wide settings
 * ({@link #MODEL}, {@link #PRECISION}, {@link #KV_CACHE_DTYPE}, {@link #ENGINE_MAX_SEQS},
 * {@link #ENGINE_MAX_BATCHED_TOKENS}, {@link #GPU_MEMORY_FRACTION}, {@link #PREFIX_CACHING}, {@link #TENSOR_PARALLEL_SIZE},
 * {@link #EXPERT_PARALLEL}) decide whether a query shares it or replaces it
 * ({@link #ENGINE_SWITCH}).
 */
public final class GptossConf {
  private GptossConf() {}

  /** Prefix of the session configuration keys: {@code spark.gptoss.max_new_tokens} etc. */
  public static final String SESSION_PREFIX = "spark.gptoss.";

  /** Model directory (local path) or Hadoop filesystem URI (hdfs://, s3a://, abfss://, dbfs:/); "" = embedded tiny-qa. */
  public static final String MODEL = "model";
  public static final String MODEL_DEFAULT = "";

  /**
   * Generation limit per row: {@code auto} (stored as 0: the rest of the model's context, as vLLM; the one
   * default of every command, see {@link ai.gptoss.batch.MaxNewTokens}) or a count. A row it cuts off gets
   * {@code finish_reason = "length"} and an {@code error} saying so.
   */
  public static final String MAX_NEW_TOKENS = "max_new_tokens";
  public static final int MAX_NEW_TOKENS_DEFAULT = ai.gptoss.batch.MaxNewTokens.AUTO_VALUE;

  /** Sampling temperature; 0 is greedy (the default: batch evaluation wants reproducible answers). */
  public static final String TEMPERATURE = "temperature";
  public static final float TEMPERATURE_DEFAULT = 0f;

  /** Nucleus sampling mass in (0, 1]; 1 disables. */
  public static final String TOP_P = "top_p";
  public static final float TOP_P_DEFAULT = 1f;

  /** Keep only the k most likely tokens; 0 disables. */
  public static final String TOP_K = "top_k";
  public static final int TOP_K_DEFAULT = 0;

  /** Global seed; each row's seed is derived from it and the row's prompt (see {@link ai.gptoss.spark.exec.RowSeeds}). */
  public static final String SEED = "seed";
  public static final long SEED_DEFAULT = 0L;

  /** harmony reasoning effort: low, medium or high. */
  public static final String REASONING_EFFORT = "reasoning_effort";
  public static final String REASONING_EFFORT_DEFAULT = "medium";

  /** Developer instructions rendered into every prompt (none by default). */
  public static final String INSTRUCTIONS = "instructions";

  /** {@code Current date:} line of the system message, an ISO date (none by default). */
  public static final String DATE = "date";

  /**
   * Most requests one task keeps unfinished in the executor's engine at a time: {@code auto} (stored
   * as 0) or a count. Auto is the engine's sequences per step, so that even one task per executor
   * keeps the engine's batch full.
   */
  public static final String MAX_IN_FLIGHT = "max_in_flight";
  public static final int MAX_IN_FLIGHT_DEFAULT = 0;

  /** Prompts longer than this many tokens are bad rows; 0 = only the model's context length limits them. */
  public static final String MAX_PROMPT_TOKENS = "max_prompt_tokens";
  public static final int MAX_PROMPT_TOKENS_DEFAULT = 0;

  /** {@code null}: a bad row gets a null answer and an error in the struct; {@code fail}: it fails the task. */
  public static final String ERROR_MODE = "error_mode";
  public static final String ERROR_MODE_NULL = "null";
  public static final String ERROR_MODE_FAIL = "fail";

  /** {@code string}: the final answer; {@code struct}: final, analysis, finish reason, token counts, error. */
  public static final String OUTPUT = "output";
  public static final String OUTPUT_STRING = "string";
  public static final String OUTPUT_STRUCT = "struct";

  /**
   * Engine device: {@code auto} (the GPU Spark assigned the task, else a GPU the executor sees, spread by partition,
   * else the CPU with a warning), {@code cpu}, {@code cuda} (as auto, never the CPU), {@code cuda:N}, or
   * {@code cuda:A,B,...} (one GPU per rank of {@link #TENSOR_PARALLEL_SIZE}; a GPU repeated puts several ranks on it). See
   * {@link ai.gptoss.spark.exec.DeviceChoice}.
   */
  public static final String DEVICE = "device";
  public static final String DEVICE_DEFAULT = "auto";

  /**
   * CUDA backend precision: fast (default: bf16 K/V and activations, as vLLM and TensorRT-LLM default to bf16),
   * balanced (bf16 K/V), exact (float32 K/V; matches transformers' float32, the opt-in reference). CPU executors run
   * float32 in every mode. See {@code ai.gptoss.backend.Precision}.
   */
  public static final String PRECISION = "precision";
  public static final String PRECISION_DEFAULT = "fast";

  /**
   * The engine's sequence limit per step (continuous batching width, vLLM's {@code max_num_seqs}):
   * {@code auto} (stored as 0: the device's, see {@code ai.gptoss.backend.StepBudget}) or a count.
   */
  public static final String ENGINE_MAX_SEQS = "engine.max_seqs";
  public static final int ENGINE_MAX_SEQS_DEFAULT = 0;

  /**
   * The engine's token budget per step: prompt chunks plus one token per decoding sequence (vLLM's
   * {@code max_num_batched_tokens}): {@code auto} (stored as 0: the device's) or a count. Larger steps
   * prefill faster on a GPU (steps of 4,096 tokens and more take the dense expert path) and need more
   * device memory for their buffers.
   */
  public static final String ENGINE_MAX_BATCHED_TOKENS = "engine.max_batched_tokens";
  public static final int ENGINE_MAX_BATCHED_TOKENS_DEFAULT = 0;

  /** Fraction of the GPU the engine may use when RAPIDS is not sharing it. */
  public static final String GPU_MEMORY_FRACTION = "gpu.memory_fraction";
  public static final double GPU_MEMORY_FRACTION_DEFAULT = 0.9;

  /**
   * Automatic prefix caching (vLLM's {@code enable_prefix_caching}): {@code true} (default) or {@code false}. The
   * engine keeps the K/V of prompt prefixes it computed and reuses them for every later row that starts with them
   * (the harmony system message, a shared developer instruction), across the tasks of an executor; answers are the
   * same either way. An engine-wide setting.
   */
  public static final String PREFIX_CACHING = "prefix_caching";

  /**
   * How many GPUs one engine spans (vLLM's {@code tensor_parallel_size}): 1 (default), one engine per GPU, so an
   * executor owning N GPUs runs N engines side by side (data parallel: gpt-oss-20b); N, one engine split over N GPUs
   * (attention heads and expert widths, docs/multi-gpu.md: gpt-oss-120b, whose 61 GiB of weights leave one 80 GiB
   * GPU little K/V room), each task then given N GPUs ({@code spark.task.resource.gpu.amount=N}). On the CPU, N
   * simulated ranks (the twin the tests check the partitioning with); on GPUs this build refuses N above 1 (the NCCL
   * path is pending). An engine-wide setting.
   */
  public static final String TENSOR_PARALLEL_SIZE = "tensor_parallel_size";
  public static final int TENSOR_PARALLEL_SIZE_DEFAULT = 1;

  /**
   * With {@link #TENSOR_PARALLEL_SIZE} above 1: {@code true} places whole experts on the ranks (each 1/N of them;
   * tokens go to their experts' ranks and back) instead of splitting every expert's width (vLLM's
   * {@code enable_expert_parallel}); attention stays split by heads. Default {@code false}. An engine-wide setting.
   */
  public static final String EXPERT_PARALLEL = "expert_parallel";

  /**
   * Generate exactly {@code max_new_tokens} per row (vLLM's name): stop tokens do not end generation, only the
   * model's context does. For benchmarks; the answer is usually not a parseable harmony message.
   */
  public static final String IGNORE_EOS = "ignore_eos";

  /**
   * The K/V cache's element type (vLLM's {@code kv_cache_dtype}): {@code auto} (the precision's), {@code bf16} or
   * {@code fp8} (E4M3; GPUs of compute capability 8.9+). Unset: the executor's {@code GPTOSS_KV_CACHE_DTYPE}, else auto.
   */
  public static final String KV_CACHE_DTYPE = "kv_cache_dtype";

  /**
   * What a query does when its device's engine has other settings ({@link #MODEL}, {@link #PRECISION},
   * {@link #KV_CACHE_DTYPE}, {@link #ENGINE_MAX_SEQS}, {@link #ENGINE_MAX_BATCHED_TOKENS}, {@link #GPU_MEMORY_FRACTION},
   * {@link #PREFIX_CACHING}, {@link #TENSOR_PARALLEL_SIZE}, {@link #EXPERT_PARALLEL}) and other tasks still use it: {@code wait} until it is idle, then replace it; {@code fail} at once, naming both.
   */
  public static final String ENGINE_SWITCH = "engine_switch";
  public static final String ENGINE_SWITCH_WAIT = "wait";
  public static final String ENGINE_SWITCH_FAIL = "fail";

  /**
   * A JSON schema every answer follows: OpenAI's {@code {"type": "json_schema", "json_schema": {"name": ...,
   * "schema": {...}}}} or a bare schema ({@link ai.gptoss.structured.ResponseFormat}; a keyword it does not support
   * fails the query when it is planned, naming the keyword and its path). With {@link #OUTPUT} {@code struct}, the
   * struct gains {@code value}: the answer parsed into the schema's Spark type ({@link ai.gptoss.spark.typed.SchemaTypes}),
   * null with an {@code error} saying why when the answer is not such a value (cut off before its JSON closed).
   * Unset: answers are free text.
   */
  public static final String RESPONSE_FORMAT = "response_format";

  /** Every key above, for validating user input. */
  public static final List<String> KEYS = List.of(MODEL, MAX_NEW_TOKENS, TEMPERATURE, TOP_P, TOP_K, SEED,
      REASONING_EFFORT, INSTRUCTIONS, DATE, MAX_IN_FLIGHT, MAX_PROMPT_TOKENS, ERROR_MODE, OUTPUT, DEVICE,
      PRECISION, ENGINE_MAX_SEQS, ENGINE_MAX_BATCHED_TOKENS, GPU_MEMORY_FRACTION, IGNORE_EOS, KV_CACHE_DTYPE,
      ENGINE_SWITCH, PREFIX_CACHING, RESPONSE_FORMAT, TENSOR_PARALLEL_SIZE, EXPERT_PARALLEL);

  /** The SparkSessionExtensions class users put in {@code spark.sql.extensions}. */
  public static final String EXTENSIONS_CLASS = "ai.gptoss.spark.GptossExtensions";
}
