package ai.gptoss.batch;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.harmony.ChatMessage;
import ai.gptoss.harmony.ChatOptions;
import ai.gptoss.harmony.HarmonyJson;
import ai.gptoss.harmony.HarmonyRenderer;
import ai.gptoss.structured.ResponseFormat;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Parses one line of the batch input format that {@code gptoss generate --input} and {@code spark-generate}
 * both read into a {@link GenerationRequest}, or into an error that names the line, its id and the key
 * ({@link LineErrors}). A line is a JSON object with an optional {@code id} (echoed as given), exactly one
 * prompt key, and optional per-line options ({@link #OPTIONS}: absent ones take the command's defaults).
 *
 * <p>Prompt keys are pluggable ({@link #withPromptKind}): {@code input_ids} (a list of token ids) is built in;
 * {@link #withHarmony} adds {@code prompt} (a user message) and {@code messages} (a conversation, with the
 * line's own {@code reasoning_effort}, {@code instructions}, {@code date}, {@code tools}). Whether the ids
 * are in the vocabulary and fit the context is checked once, by the engine, when the request is submitted.
 *
 * <p>Checks run in this order, so a line with several problems reports the first: the keys, {@code id}, the
 * prompt, then the options in {@link #OPTIONS} order. Thread-confined when a seed rule keeps state
 * ({@link #withSeeds}).
 */
public final class RequestLine {
  /** Turns the value of one prompt key into token ids; throws {@link IllegalArgumentException} naming what is wrong. */
  @FunctionalInterface
  public interface PromptKind {
    /**
     * @param value the prompt key's value
     * @param line the whole line, for per-line options the kind declared
     */
    int[] tokenIds(JsonNode value, JsonNode line);
  }

  /**
   * The command's per-line defaults ({@code maxNewTokens} 0: auto, see {@link MaxNewTokens};
   * {@code responseFormat} null: unconstrained).
   */
  public record Defaults(int maxNewTokens, SamplingParams sampling, ResponseFormat responseFormat) implements Serializable {
    public Defaults(int maxNewTokens, SamplingParams sampling) {
      this(maxNewTokens, sampling, null);
    }
  }

  /**
   * One parsed line: {@code request} is null exactly when {@code error} is set.
   *
   * @param id the line's {@code id} value as given (null when absent or the line is not JSON)
   * @param promptKey the line's prompt key ({@code input_ids}, {@code prompt}, ...), null when it has none
   * @param error names the line ({@code line N (id X): ...})
   */
  public record Parsed(long lineNo, JsonNode id, String promptKey, GenerationRequest request, String error) {
    /** {@code line N (id X)}: how errors about this line name it. */
    public String where() {
      return LineErrors.where(lineNo, id);
    }
  }

  /**
   * The per-line options every parser accepts, in the order they are read; each key is read in one place,
   * {@link #readOption}.
   */
  public static final List<String> OPTIONS = List.of("id", "max_new_tokens", "temperature", "top_p", "top_k", "seed",
      "response_format");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Defaults defaults;
  private final List<Integer> stopTokenIds;
  private final Map<String, PromptKind> kinds;
  private final List<String> options;
  private final ToLongFunction<int[]> seeds;

  /**
   * A parser of {@code input_ids} lines.
   *
   * @param stopTokenIds the stop ids of every request ({@link StopTokens}; empty for {@code --ignore-eos})
   */
  public RequestLine(Defaults defaults, List<Integer> stopTokenIds) {
    this(defaults, List.copyOf(stopTokenIds), Map.of("input_ids", (v, line) -> LineFields.tokenIds(v)), OPTIONS,
        ids -> defaults.sampling().seed());
  }

  private RequestLine(Defaults defaults, List<Integer> stopTokenIds, Map<String, PromptKind> kinds, List<String> options,
      ToLongFunction<int[]> seeds) {
    this.defaults = defaults;
    this.stopTokenIds = stopTokenIds;
    this.kinds = kinds;
    this.options = options;
    this.seeds = seeds;
  }

  /**
   * A parser that also accepts lines with prompt key {@code key}, and the extra per-line option keys that
   * kind reads from the line.
   */
  public RequestLine withPromptKind(String key, PromptKind kind, String... extraOptions) {
    Map<String, PromptKind> k = new LinkedHashMap<>(kinds);
    k.put(key, kind);
    List<String> o = new ArrayList<>(options);
    for (String x : extraOptions) if (!o.contains(x)) o.add(x);
    return new RequestLine(defaults, stopTokenIds, k, List.copyOf(o), seeds);
  }

  /**
   * Adds harmony's prompt keys: {@code prompt} (one user message) and {@code messages} (chat form), rendered
   * with {@code chat} (system-message options), over which a {@code messages} line may set its own
   * {@code reasoning_effort}, {@code instructions}, {@code date} and {@code tools}.
   */
  public RequestLine withHarmony(ChatOptions chat) {
    return withPromptKind("prompt", (v, line) -> {
      if (!v.isTextual()) throw new IllegalArgumentException("must be a string (a user message)");
      if (v.asText().isBlank()) throw new IllegalArgumentException("is empty; give the user's message");
      return HarmonyRenderer.get().renderChat(List.of(ChatMessage.user(v.asText())), chat);
    }).withPromptKind("messages", (v, line) -> {
      ChatOptions options = HarmonyJson.readChatOptions(line, chat, LineErrors.LINE);
      return HarmonyRenderer.get().renderChat(HarmonyJson.readChat(v), options);
    }, "reasoning_effort", "instructions", "date", "tools");
  }

  /**
   * A parser whose lines without a {@code seed} get {@code seedOf(promptIds)} instead of the default seed
   * ({@code spark-generate} derives one per row, see its {@code RowSeeds}); called once per such line, in
   * input order.
   */
  public RequestLine withSeeds(ToLongFunction<int[]> seedOf) {
    return new RequestLine(defaults, stopTokenIds, kinds, options, seedOf);
  }

  public Parsed parse(String line, long lineNo) {
    if (line.isBlank()) return failed(lineNo, null, LineErrors.BLANK);
    JsonNode root;
    try {
      root = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return failed(lineNo, null, LineErrors.notJson(e));
    }
    if (root == null || !root.isObject()) return failed(lineNo, null, "expected a JSON object, got " + LineFields.describe(root));
    JsonNode id = root.get("id");
    try {
      String promptKey = promptKey(root);
      if (id != null && !id.isValueNode()) throw new IllegalArgumentException("'id' must be a string or a number");
      int[] ids;
      try {
        ids = kinds.get(promptKey).tokenIds(root.get(promptKey), root);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(LineErrors.ofKey(promptKey, e.getMessage()));
      }
      Settings s = new Settings(defaults);
      for (String key : OPTIONS) readOption(key, root, s);
      SamplingParams sampling = SamplingParams.of(s.temperature, s.topP, s.topK, s.seedGiven ? s.seed : seeds.applyAsLong(ids));
      String rid = id == null || id.isNull() ? null : id.asText();
      GenerationRequest r = new GenerationRequest(rid, ids, MaxNewTokens.forRequest(s.maxNewTokens), stopTokenIds, sampling,
          s.responseFormat);
      return new Parsed(lineNo, id, promptKey, r, null);
    } catch (IllegalArgumentException e) {
      return failed(lineNo, id, e.getMessage());
    }
  }

  /** The line's one prompt key; fails on unknown keys, on two prompt keys and on none. */
  private String promptKey(JsonNode root) {
    String promptKey = null;
    for (var it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (kinds.containsKey(key)) {
        if (promptKey != null) throw new IllegalArgumentException("has both '" + promptKey + "' and '" + key + "'; give one");
        promptKey = key;
      } else if (!options.contains(key)) {
        throw new IllegalArgumentException("unknown key '" + key + "' (expected one of " + kinds.keySet() + " and "
            + options + ")");
      }
    }
    if (promptKey == null) throw new IllegalArgumentException("no prompt: give one of " + kinds.keySet());
    return promptKey;
  }

  /** The request settings a line's options build, starting from the defaults. */
  private static final class Settings {
    int maxNewTokens;
    float temperature;
    float topP;
    int topK;
    long seed;
    boolean seedGiven;
    ResponseFormat responseFormat;

    Settings(Defaults d) {
      responseFormat = d.responseFormat();
      maxNewTokens = d.maxNewTokens();
      temperature = d.sampling().temperature();
      topP = d.sampling().topP();
      topK = d.sampling().topK();
      seed = d.sampling().seed();
    }
  }

  /** Reads option {@code key} of {@code line} into {@code s}: the one place each per-line option is read. */
  private static void readOption(String key, JsonNode line, Settings s) {
    switch (key) {
      case "id" -> { } // echoed as given; checked above
      case "max_new_tokens" -> s.maxNewTokens = MaxNewTokens.fromLine(line, s.maxNewTokens);
      case "temperature" -> s.temperature = (float) LineFields.numberOr(line, key, s.temperature);
      case "top_p" -> s.topP = (float) LineFields.numberOr(line, key, s.topP);
      case "top_k" -> s.topK = LineFields.intOr(line, key, s.topK);
      case "seed" -> {
        if (line.has(key)) {
          s.seed = LineFields.longValue(line.get(key), key);
          s.seedGiven = true;
        }
      }
      case "response_format" -> {
        // a schema object (either form), its JSON text, or null for none
        if (line.has(key)) s.responseFormat = responseFormat(line.get(key));
      }
      default -> throw new IllegalStateException("option " + key + " has no reader");
    }
  }

  /** A {@code response_format} value: a JSON object, a string holding one, or null (unconstrained). */
  public static ResponseFormat responseFormat(JsonNode v) {
    if (v == null || v.isNull()) return null;
    if (v.isTextual()) return ResponseFormat.parse(v.textValue());
    if (!v.isObject()) {
      throw new IllegalArgumentException("response_format: expected a JSON schema object (or its JSON text), got " + LineFields.describe(v));
    }
    return ResponseFormat.of(v);
  }

  private static Parsed failed(long lineNo, JsonNode id, String error) {
    return new Parsed(lineNo, id, null, null, LineErrors.where(lineNo, id) + ": " + error);
  }
}
