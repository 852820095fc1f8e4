package ai.gptoss.cli;

import ai.gptoss.batch.LineErrors;
import ai.gptoss.harmony.ChatOptions;
import ai.gptoss.harmony.Harmony;
import ai.gptoss.harmony.HarmonyJson;
import ai.gptoss.harmony.HarmonyTokens;
import ai.gptoss.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The harmony side of batch generation: {@code "prompt"} lines (one user message) and
 * {@code "messages"} lines (a chat conversation with optional {@code reasoning_effort},
 * {@code instructions}, {@code date}, {@code tools} on the line) are rendered exactly as OpenAI's
 * harmony library does, generation stops on {@code <|return|>} and {@code <|call|>}, and results
 * carry the parsed {@code final} and {@code analysis} text.
 */
final class HarmonyLines {
  private HarmonyLines() {}

  /** Models whose vocabulary is o200k_harmony speak harmony; test models with small vocabularies do not. */
  static boolean speaksHarmony(ModelConfig c) {
    return c.vocabSize() == HarmonyTokens.VOCAB_SIZE;
  }

  /** The model's eos ids plus, for harmony models, harmony's stop tokens. */
  static List<Integer> stopTokens(ModelConfig c) {
    List<Integer> out = new ArrayList<>(c.eosTokenIds());
    if (speaksHarmony(c)) {
      for (int id : Harmony.STOP_TOKENS) if (!out.contains(id)) out.add(id);
    }
    return List.copyOf(out);
  }

  /** Adds the {@code prompt} and {@code messages} kinds to a line parser. */
  static BatchLine withHarmonyKinds(BatchLine parser) {
    return parser
        .withPromptKind("prompt", (v, line) -> {
          if (!v.isTextual()) throw new IllegalArgumentException("must be a string (a user message)");
          if (v.asText().isBlank()) throw new IllegalArgumentException("is empty; give the user's message");
          return Harmony.prompt(v.asText());
        })
        .withPromptKind("messages", (v, line) -> {
          ChatOptions options = HarmonyJson.readChatOptions(line, ChatOptions.DEFAULTS, LineErrors.LINE);
          return Harmony.prompt(HarmonyJson.readChat(v), options);
        }, "reasoning_effort", "instructions", "date", "tools");
  }
}
