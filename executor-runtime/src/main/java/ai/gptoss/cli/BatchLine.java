package ai.gptoss.cli;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.batch.LineErrors;
import ai.gptoss.batch.LineFields;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.engine.GenerationRequest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses one line of a batch input file into a {@link GenerationRequest}, or into an error that
 * names the line and the key. A line is a JSON object with an optional {@code id} (echoed as
 * given), exactly one prompt key, and optional {@code max_new_tokens}, {@code temperature},
 * {@code top_p}, {@code top_k}, {@code seed} (absent ones take the command-line defaults).
 *
 * <p>Prompt keys are pluggable: {@code input_ids} (a list of token ids) is built in; the harmony
 * layer adds {@code prompt} (a user question) and {@code messages} (a conversation) with
 * {@link #withPromptKind}, each a function from the key's JSON value to token ids.
 */
final class BatchLine {
  /** Turns the value of one prompt key into token ids; throws {@link IllegalArgumentException} naming what is wrong. */
  @FunctionalInterface
  interface PromptKind {
    /**
     * @param value the prompt key's value
     * @param line the whole line, for per-line options the kind declared
     */
    int[] tokenIds(JsonNode value, JsonNode line);
  }

  /** Per-line defaults, from the command line ({@code maxNewTokens} 0: auto, see {@link MaxNewTokens}). */
  record Defaults(int maxNewTokens, float temperature, float topP, int topK, long seed, List<Integer> stopTokenIds) {}

  /**
   * One parsed line: {@code request} is null exactly when {@code error} is set.
   *
   * @param id the line's {@code id} value as given (null when absent or the line is not JSON)
   */
  record Parsed(int lineNo, JsonNode id, GenerationRequest request, String error) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> OPTIONS = List.of("id", "max_new_tokens", "temperature", "top_p", "top_k", "seed");

  private final Defaults defaults;
  private final Map<String, PromptKind> kinds;
  private final List<String> options;

  BatchLine(Defaults defaults) {
    this(defaults, Map.of("input_ids", (v, line) -> inputIds(v)), OPTIONS);
  }

  private BatchLine(Defaults defaults, Map<String, PromptKind> kinds, List<String> options) {
    this.defaults = defaults;
    this.kinds = kinds;
    this.options = options;
  }

  /**
   * A parser that also accepts lines with prompt key {@code key}, and the extra per-line option keys
   * that kind reads from the line.
   */
  BatchLine withPromptKind(String key, PromptKind kind, String... extraOptions) {
    Map<String, PromptKind> k = new LinkedHashMap<>(kinds);
    k.put(key, kind);
    List<String> o = new java.util.ArrayList<>(options);
    for (String x : extraOptions) if (!o.contains(x)) o.add(x);
    return new BatchLine(defaults, k, List.copyOf(o));
  }

  Parsed parse(String line, int lineNo) {
    if (line.isBlank()) return new Parsed(lineNo, null, null, LineErrors.where(lineNo, null) + ": " + LineErrors.BLANK);
    JsonNode root;
    try {
      root = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return new Parsed(lineNo, null, null, LineErrors.where(lineNo, null) + ": " + LineErrors.notJson(e));
    }
    if (root == null || !root.isObject()) {
      return new Parsed(lineNo, null, null, LineErrors.where(lineNo, null) + ": expected a JSON object, got "
          + LineFields.describe(root));
    }
    JsonNode id = root.get("id");
    try {
      return new Parsed(lineNo, id, request(root, id), null);
    } catch (IllegalArgumentException e) {
      return new Parsed(lineNo, id, null, LineErrors.where(lineNo, id) + ": " + e.getMessage());
    }
  }

  private GenerationRequest request(JsonNode root, JsonNode id) {
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
    if (id != null && !id.isValueNode()) throw new IllegalArgumentException("'id' must be a string or a number");
    int[] ids;
    try {
      ids = kinds.get(promptKey).tokenIds(root.get(promptKey), root);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(LineErrors.ofKey(promptKey, e.getMessage()));
    }
    int maxNew = MaxNewTokens.forRequest(MaxNewTokens.fromLine(root, defaults.maxNewTokens()));
    float temperature = (float) LineFields.numberOr(root, "temperature", defaults.temperature());
    float topP = (float) LineFields.numberOr(root, "top_p", defaults.topP());
    int topK = LineFields.intOr(root, "top_k", defaults.topK());
    long seed = root.has("seed") ? LineFields.longValue(root.get("seed"), "seed") : defaults.seed();
    String rid = id == null || id.isNull() ? null : id.asText();
    return new GenerationRequest(rid, ids, maxNew, defaults.stopTokenIds(), SamplingParams.of(temperature, topP, topK, seed));
  }

  /** The built-in prompt kind: a non-empty list of integer token ids (range is checked by the engine). */
  static int[] inputIds(JsonNode v) {
    return LineFields.tokenIds(v);
  }
}
