package ai.gptoss.harmony;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@link HarmonyParser} made of a completion.
 *
 * @param messages the messages, in order
 * @param problems every irregularity found, with the token index where it was noticed (empty for a well-formed completion)
 */
public record ParseResult(List<ParsedMessage> messages, List<Problem> problems) {
  public ParseResult {
    messages = List.copyOf(messages);
    problems = List.copyOf(problems);
  }

  /** One irregularity: its kind, the index of the token where it showed, and a sentence for logs. */
  public record Problem(ParseIssue kind, int tokenIndex, String detail) {}

  public boolean wellFormed() {
    return problems.isEmpty();
  }

  /** The content of the last {@code final}-channel message, or null if there is none (e.g. cut off while thinking). */
  public String finalText() {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if ("final".equals(messages.get(i).channel())) return messages.get(i).content();
    }
    return null;
  }

  /** The contents of all {@code analysis}-channel messages joined by newlines, or null if there are none. */
  public String analysisText() {
    List<String> parts = new ArrayList<>();
    for (ParsedMessage m : messages) {
      if ("analysis".equals(m.channel())) parts.add(m.content());
    }
    return parts.isEmpty() ? null : String.join("\n", parts);
  }
}
