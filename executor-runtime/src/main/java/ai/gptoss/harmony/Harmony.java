package ai.gptoss.harmony;

import java.util.List;

/**
 * The harmony format in the three calls a generation loop needs: a prompt, the stop tokens, and what
 * the completion said. Everything here is thread-safe.
 *
 * <pre>{@code
 * int[] prompt = Harmony.prompt("What is 7 + 5?");
 * ... generate until a stop token (ai.gptoss.batch.StopTokens: <|return|>, <|call|>, eos) ...
 * Harmony.Completion c = Harmony.completion(outputIds);   // c.finalText() == "12"
 * }</pre>
 */
public final class Harmony {
  private Harmony() {}

  /** One user message with harmony's default system message (see {@link HarmonyRenderer#renderUserPrompt}). */
  public static int[] prompt(String userMessage) {
    return HarmonyRenderer.get().renderUserPrompt(userMessage);
  }

  /** A chat-form conversation with options, ending with {@code <|start|>assistant}. */
  public static int[] prompt(List<ChatMessage> chat, ChatOptions options) {
    return HarmonyRenderer.get().renderChat(chat, options);
  }

  /**
   * What a completion said.
   *
   * @param finalText the answer ({@code final} channel), or null when there is none (e.g. cut off while thinking)
   * @param analysisText the reasoning ({@code analysis} channel), or null
   * @param text the raw completion, special tokens spelled out
   * @param parse all messages and any problems
   */
  public record Completion(String finalText, String analysisText, String text, ParseResult parse) {}

  /** Parses generated ids (never throws; ids outside the vocabulary are skipped and reported). */
  public static Completion completion(int[] outputIds) {
    ParseResult r = HarmonyParser.get().parse(outputIds);
    HarmonyTokenizer tok = HarmonyTokenizer.get();
    int n = 0;
    int[] valid = new int[outputIds.length];
    for (int id : outputIds) {
      if (HarmonyTokens.isValid(id)) valid[n++] = id;
    }
    String text = tok.decode(java.util.Arrays.copyOf(valid, n));
    return new Completion(r.finalText(), r.analysisText(), text, r);
  }
}
