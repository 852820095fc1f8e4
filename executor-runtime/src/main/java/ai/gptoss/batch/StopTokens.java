package ai.gptoss.batch;

import ai.gptoss.harmony.HarmonyTokens;
import ai.gptoss.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The one set of token ids that ends a generation, for every entry point ({@code generate}, its batch
 * mode, {@code spark-generate}, {@code gptoss()}).
 *
 * <p>For a model with the o200k_harmony vocabulary it is harmony's
 * {@code stop_tokens_for_assistant_actions()}: {@code <|return|>} (200002, the final answer is done) and
 * {@code <|call|>} (200012, a tool call is done), plus the config's {@code eos_token_id}. Not
 * {@code <|end|>} (200007), which harmony's {@code stop_tokens()} (the parsing set, {@link
 * HarmonyTokens#STOP_TOKENS}) also lists: the model ends its {@code analysis} message with {@code <|end|>} and
 * goes on with {@code <|start|>assistant<|channel|>final...}, so stopping there would cut off every answer
 * after its reasoning (shared/docs/gpt-oss.md: "Generation stops on {@code <|return|>} or {@code <|call|>}").
 * A model with another vocabulary (the small test models) stops at its eos ids only: harmony's ids mean
 * nothing to it.
 */
public final class StopTokens {
  private StopTokens() {}

  /** The model's eos ids, then (for harmony models) {@code <|return|>} and {@code <|call|>}, each once. */
  public static List<Integer> of(ModelConfig c) {
    List<Integer> out = new ArrayList<>(c.eosTokenIds());
    if (speaksHarmony(c)) {
      for (int id : HarmonyTokens.STOP_TOKENS_FOR_ASSISTANT_ACTIONS) if (!out.contains(id)) out.add(id);
    }
    return List.copyOf(out);
  }

  /** Models whose vocabulary is o200k_harmony speak harmony; test models with small vocabularies do not. */
  public static boolean speaksHarmony(ModelConfig c) {
    return c.vocabSize() == HarmonyTokens.VOCAB_SIZE;
  }
}
