package ai.gptoss.harmony;

import java.util.List;
import java.util.Set;

/**
 * A message parsed from completion ids (harmony's parse output: text content only).
 *
 * @param issues what was wrong with this message (empty when it was well-formed)
 */
public record ParsedMessage(Role role, String name, String recipient, String channel, String contentType, String content,
    Set<ParseIssue> issues) {
  public ParsedMessage {
    issues = Set.copyOf(issues);
  }

  /** As a harmony {@link Message}, e.g. to append to a conversation for the next turn. */
  public Message toMessage() {
    return new Message(role, name, recipient, channel, contentType, List.of(new Content.Text(content)));
  }
}
