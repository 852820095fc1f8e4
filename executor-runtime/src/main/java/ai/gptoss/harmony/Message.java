package ai.gptoss.harmony;

import java.util.List;

/**
 * One harmony message (openai/harmony {@code chat.rs Message}).
 *
 * @param role author role
 * @param name author name: required for {@link Role#TOOL} (e.g. {@code functions.get_weather}), else usually null
 * @param recipient e.g. {@code functions.get_weather} for a tool call; null means everyone
 * @param channel {@code analysis}, {@code commentary}, {@code final} or null
 * @param contentType e.g. {@code <|constrain|>json}; null when absent
 * @param content parts rendered one after another
 */
public record Message(Role role, String name, String recipient, String channel, String contentType, List<Content> content) {
  public Message {
    if (role == null) throw new IllegalArgumentException("message role is missing");
    content = List.copyOf(content);
  }

  public static Message text(Role role, String text) {
    return new Message(role, null, null, null, null, List.of(new Content.Text(text)));
  }

  public static Message of(Role role, Content content) {
    return new Message(role, null, null, null, null, List.of(content));
  }

  public Message withChannel(String ch) {
    return new Message(role, name, recipient, ch, contentType, content);
  }

  public Message withRecipient(String r) {
    return new Message(role, name, r, channel, contentType, content);
  }

  public Message withContentType(String ct) {
    return new Message(role, name, recipient, channel, ct, content);
  }

  public Message withName(String n) {
    return new Message(role, n, recipient, channel, contentType, content);
  }
}
