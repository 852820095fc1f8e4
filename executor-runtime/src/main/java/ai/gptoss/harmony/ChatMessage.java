package ai.gptoss.harmony;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A message of the common chat form {@code {"role": "system"|"developer"|"user"|"assistant", "content": "..."}}.
 *
 * <p>Mapping to harmony (as gpt-oss's published chat template does): the harmony system message is built
 * from {@link ChatOptions}; {@code system} and {@code developer} chat messages, which must come first,
 * become the developer message's instructions (after {@link ChatOptions#instructions()}, joined by a blank
 * line); an {@code assistant} message becomes a {@code final}-channel message, preceded by an
 * {@code analysis} message when {@code thinking} is given (dropped again by harmony's rendering once a
 * later final exists).
 *
 * @param role system, developer, user or assistant
 * @param content the text
 * @param thinking assistant reasoning (analysis channel), or null
 * @param name optional author name, rendered as {@code role:name}
 */
public record ChatMessage(String role, String content, String thinking, String name) {

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content, null, null);
  }

  /** Converts chat messages plus options to harmony messages; errors name the offending message. */
  public static List<Message> toHarmony(List<ChatMessage> chat, ChatOptions options) {
    Content.SystemContent sys = new Content.SystemContent(options.modelIdentity(), options.reasoningEffort(), null,
        options.conversationStartDate(), options.knowledgeCutoff(),
        Content.ChannelConfig.requireChannels(List.of("analysis", "commentary", "final")));
    List<Message> out = new ArrayList<>();
    out.add(Message.of(Role.SYSTEM, sys));

    List<String> instructions = new ArrayList<>();
    if (options.instructions() != null) instructions.add(options.instructions());
    int i = 0;
    for (; i < chat.size(); i++) {
      ChatMessage m = check(chat.get(i), i);
      if (!m.role().equals("system") && !m.role().equals("developer")) break;
      instructions.add(m.content());
    }
    if (!instructions.isEmpty() || !options.tools().isEmpty()) {
      Map<String, ToolNamespace> tools = null;
      if (!options.tools().isEmpty()) {
        tools = new LinkedHashMap<>();
        tools.put("functions", ToolNamespace.functions(options.tools()));
      }
      String instr = instructions.isEmpty() ? null : String.join("\n\n", instructions);
      out.add(Message.of(Role.DEVELOPER, new Content.DeveloperContent(instr, tools)));
    }
    for (; i < chat.size(); i++) {
      ChatMessage m = check(chat.get(i), i);
      switch (m.role()) {
        case "user" -> out.add(Message.text(Role.USER, m.content()).withName(m.name()));
        case "assistant" -> {
          if (m.thinking() != null) out.add(Message.text(Role.ASSISTANT, m.thinking()).withChannel("analysis"));
          out.add(Message.text(Role.ASSISTANT, m.content()).withChannel("final").withName(m.name()));
        }
        default -> throw new IllegalArgumentException("messages[" + i + "]: a " + m.role()
            + " message must come before the first user or assistant message");
      }
    }
    return out;
  }

  private static ChatMessage check(ChatMessage m, int i) {
    if (m.role() == null) throw new IllegalArgumentException("messages[" + i + "]: \"role\" is missing");
    switch (m.role()) {
      case "system", "developer", "user", "assistant" -> { }
      default -> throw new IllegalArgumentException("messages[" + i + "]: role '" + m.role()
          + "' is not one of system, developer, user, assistant (tool messages need harmony's JSON conversation form)");
    }
    if (m.content() == null) throw new IllegalArgumentException("messages[" + i + "]: \"content\" is missing");
    if (m.thinking() != null && !m.role().equals("assistant")) {
      throw new IllegalArgumentException("messages[" + i + "]: \"thinking\" is only allowed on assistant messages");
    }
    return m;
  }
}
