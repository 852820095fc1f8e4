package ai.gptoss.spark.generate;

import ai.gptoss.batch.LineErrors;
import ai.gptoss.batch.LineFields;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.harmony.ChatMessage;
import ai.gptoss.harmony.HarmonyJson;
import ai.gptoss.spark.exec.Prompts;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Serializable;
import java.util.List;

/**
 * One line of {@code generate}'s batch input format, as {@code spark-generate} reads it: a JSON object
 * with an optional {@code id} (echoed as given), exactly one of {@code input_ids} (token ids),
 * {@code prompt} (a user message) or {@code messages} (chat form: role/content objects), and optional
 * {@code max_new_tokens}, {@code temperature}, {@code top_p}, {@code top_k}, {@code seed}; absent ones take
 * the command's defaults. {@code messages} lines may add {@code reasoning_effort}, {@code instructions},
 * {@code date} and {@code tools}, over the job's options, as in {@code gptoss generate}. A line that cannot be read (a blank line included) becomes an error record naming the line, its id
 * and the key, worded as {@code gptoss generate} words it ({@link LineErrors}).
 */
final class GenerateLine {
  private GenerateLine() {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> PROMPT_KEYS = List.of("input_ids", "prompt", "messages");
  private static final List<String> OPTIONS = List.of("id", "max_new_tokens", "temperature", "top_p", "top_k", "seed",
      "reasoning_effort", "instructions", "date", "tools");

  /** The command's per-line defaults. */
  record Defaults(int maxNewTokens, float temperature, float topP, int topK, long seed) implements Serializable {}

  /**
   * A parsed line; exactly one of {@code inputIds}, {@code prompt}, {@code messages} is set unless {@code error} is.
   *
   * @param id the {@code id} value as given, or null
   * @param line the whole line (its chat options apply to {@code messages}), or null for an error
   */
  record Parsed(long lineNo, JsonNode id, int[] inputIds, String prompt, List<ChatMessage> messages,
      Prompts.Sampling sampling, String error, JsonNode line) {
    boolean harmony() {
      return prompt != null || messages != null;
    }
  }

  static Parsed parse(String line, long lineNo, Defaults d) {
    if (line.isBlank()) return failed(lineNo, null, LineErrors.BLANK);
    JsonNode root;
    try {
      root = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return failed(lineNo, null, LineErrors.notJson(e));
    }
    if (root == null || !root.isObject()) {
      return failed(lineNo, null, "expected a JSON object, got " + LineFields.describe(root));
    }
    JsonNode id = root.get("id");
    try {
      String key = null;
      for (var it = root.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (PROMPT_KEYS.contains(k)) {
          if (key != null) throw new IllegalArgumentException("has both '" + key + "' and '" + k + "'; give one");
          key = k;
        } else if (!OPTIONS.contains(k)) {
          throw new IllegalArgumentException("unknown key '" + k + "' (expected one of " + PROMPT_KEYS + " and " + OPTIONS + ")");
        }
      }
      if (key == null) throw new IllegalArgumentException("no prompt: give one of " + PROMPT_KEYS);
      if (id != null && !id.isValueNode()) throw new IllegalArgumentException("'id' must be a string or a number");
      int maxNew = MaxNewTokens.fromLine(root, d.maxNewTokens());
      Prompts.Sampling s = new Prompts.Sampling(maxNew, (float) LineFields.numberOr(root, "temperature", d.temperature()),
          (float) LineFields.numberOr(root, "top_p", d.topP()), LineFields.intOr(root, "top_k", d.topK()),
          root.has("seed") ? LineFields.longValue(root.get("seed"), "seed") : d.seed());
      JsonNode v = root.get(key);
      return switch (key) {
        case "input_ids" -> new Parsed(lineNo, id, inputIds(v), null, null, s, null, root);
        case "prompt" -> {
          if (!v.isTextual()) throw new IllegalArgumentException("'prompt' must be a string (a user message)");
          if (v.asText().isBlank()) throw new IllegalArgumentException("'prompt' is empty; give the user's message");
          yield new Parsed(lineNo, id, null, v.asText(), null, s, null, root);
        }
        default -> new Parsed(lineNo, id, null, null, messages(v), s, null, root);
      };
    } catch (IllegalArgumentException e) {
      return failed(lineNo, id, e.getMessage());
    }
  }

  private static Parsed failed(long lineNo, JsonNode id, String error) {
    return new Parsed(lineNo, id, null, null, null, null, LineErrors.where(lineNo, id) + ": " + error, null);
  }

  private static int[] inputIds(JsonNode v) {
    try {
      return LineFields.tokenIds(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'input_ids' " + e.getMessage());
    }
  }

  /** The chat form, read exactly as {@code gptoss generate} reads it. */
  private static List<ChatMessage> messages(JsonNode v) {
    try {
      return HarmonyJson.readChat(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(LineErrors.ofKey("messages", e.getMessage()));
    }
  }
}
