package ai.gptoss.harmony;

import com.knuddels.jtokkit.api.IntArrayList;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders conversations to token ids exactly as openai/harmony's {@code HarmonyGptOss} encoding
 * ({@code render_conversation_for_completion} with {@code auto_drop_analysis}, port of {@code encoding.rs}).
 *
 * <p>A message is {@code <|start|>role[:name][ to=recipient][<|channel|>channel][ content_type]<|message|>content<|end|>},
 * {@code <|call|>} instead of {@code <|end|>} for an assistant message with a recipient. Each text piece is
 * tokenized on its own, as harmony does, so the ids match token for token.
 */
public final class HarmonyRenderer {
  private static final String CONSTRAIN_MARKER = HarmonyTokens.name(HarmonyTokens.CONSTRAIN);

  private final HarmonyTokenizer tok;

  public HarmonyRenderer(HarmonyTokenizer tok) {
    this.tok = tok;
  }

  /** Renderer over the shared tokenizer. */
  public static HarmonyRenderer get() {
    return Holder.INSTANCE;
  }

  private static final class Holder {
    static final HarmonyRenderer INSTANCE = new HarmonyRenderer(HarmonyTokenizer.get());
  }

  /**
   * The project's default prompt for one user question: harmony's default system message
   * ({@link Content.SystemContent#defaults()}: no date, medium effort), no developer message, the
   * question, then {@code <|start|>assistant}. This is the format tiny-qa was trained on.
   */
  public int[] renderUserPrompt(String question) {
    return renderChat(List.of(new ChatMessage("user", question, null, null)), ChatOptions.DEFAULTS);
  }

  /** Renders a chat-form conversation (see {@link ChatMessage}) for the assistant's next turn. */
  public int[] renderChat(List<ChatMessage> chat, ChatOptions options) {
    return renderForCompletion(ChatMessage.toHarmony(chat, options), Role.ASSISTANT);
  }

  /** {@code render_conversation_for_completion(messages, next, {auto_drop_analysis: true})}. */
  public int[] renderForCompletion(List<Message> messages, Role nextTurnRole) {
    return renderForCompletion(messages, nextTurnRole, true);
  }

  public int[] renderForCompletion(List<Message> messages, Role nextTurnRole, boolean autoDropAnalysis) {
    IntArrayList out = new IntArrayList(256);
    renderConversation(messages, autoDropAnalysis, out);
    out.add(HarmonyTokens.START);
    text(nextTurnRole.wireName(), out);
    return out.toArray();
  }

  /** The conversation without a next-turn header ({@code render_conversation}). */
  public int[] renderConversation(List<Message> messages, boolean autoDropAnalysis) {
    IntArrayList out = new IntArrayList(256);
    renderConversation(messages, autoDropAnalysis, out);
    return out.toArray();
  }

  private void renderConversation(List<Message> messages, boolean autoDropAnalysis, IntArrayList out) {
    boolean hasFunctionTools = false;
    for (Message m : messages) {
      for (Content c : m.content()) {
        if (c instanceof Content.DeveloperContent dev && dev.tools() != null) {
          ToolNamespace fns = dev.tools().get("functions");
          if (fns != null && !fns.tools().isEmpty()) hasFunctionTools = true;
        }
      }
    }
    // harmony drops analysis messages only when the last assistant message is a final one, and then only
    // those before the first final message of the whole conversation.
    boolean lastAssistantIsFinal = false;
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role() == Role.ASSISTANT) {
        lastAssistantIsFinal = "final".equals(messages.get(i).channel());
        break;
      }
    }
    int firstFinal = -1;
    for (int i = 0; i < messages.size() && firstFinal < 0; i++) {
      if ("final".equals(messages.get(i).channel())) firstFinal = i;
    }
    boolean drop = autoDropAnalysis && lastAssistantIsFinal;
    for (int i = 0; i < messages.size(); i++) {
      Message m = messages.get(i);
      if (drop && firstFinal >= 0 && i < firstFinal && "analysis".equals(m.channel())) continue;
      renderMessage(m, hasFunctionTools, i, out);
    }
  }

  /** One message, as harmony's {@code render} of a single message. */
  public int[] renderMessage(Message m) {
    IntArrayList out = new IntArrayList(64);
    renderMessage(m, false, 0, out);
    return out.toArray();
  }

  private void renderMessage(Message m, boolean hasFunctionTools, int index, IntArrayList out) {
    out.add(HarmonyTokens.START);
    if (m.role() == Role.TOOL) {
      if (m.name() == null) throw new IllegalArgumentException("messages[" + index + "]: a tool message needs a name");
      text(m.name(), out);
    } else {
      text(m.role().wireName(), out);
      if (m.name() != null) text(":" + m.name(), out);
    }
    if (m.recipient() != null && !m.recipient().equals("all")) text(" to=" + m.recipient(), out);
    if (m.channel() != null) {
      out.add(HarmonyTokens.CHANNEL);
      text(m.channel(), out);
    }
    if (m.contentType() != null) {
      if (m.contentType().startsWith(CONSTRAIN_MARKER)) {
        String rest = m.contentType().substring(CONSTRAIN_MARKER.length());
        text(" ", out);
        out.add(HarmonyTokens.CONSTRAIN);
        if (!rest.isEmpty()) text(rest, out);
      } else {
        text(" " + m.contentType(), out);
      }
    }
    out.add(HarmonyTokens.MESSAGE);
    for (Content c : m.content()) {
      if (c instanceof Content.Text t) {
        text(t.text(), out);
      } else if (c instanceof Content.SystemContent sys) {
        if (m.role() != Role.SYSTEM) {
          throw new IllegalArgumentException("messages[" + index + "]: system_content may only appear in a system message, found in "
              + m.role().wireName());
        }
        text(systemText(sys, hasFunctionTools), out);
      } else if (c instanceof Content.DeveloperContent dev) {
        if (m.role() != Role.DEVELOPER) {
          throw new IllegalArgumentException("messages[" + index + "]: developer_content may only appear in a developer message, found in "
              + m.role().wireName());
        }
        text(developerText(dev), out);
      }
    }
    out.add(m.role() == Role.ASSISTANT && m.recipient() != null ? HarmonyTokens.CALL : HarmonyTokens.END);
  }

  static String systemText(Content.SystemContent sys, boolean hasFunctionTools) {
    List<String> sections = new ArrayList<>();
    List<String> top = new ArrayList<>();
    if (sys.modelIdentity() != null) top.add(sys.modelIdentity());
    if (sys.knowledgeCutoff() != null) top.add("Knowledge cutoff: " + sys.knowledgeCutoff());
    if (sys.conversationStartDate() != null) top.add("Current date: " + sys.conversationStartDate());
    if (!top.isEmpty()) sections.add(String.join("\n", top));
    if (sys.reasoningEffort() != null) sections.add("Reasoning: " + sys.reasoningEffort().wireName());
    if (sys.tools() != null && !sys.tools().isEmpty()) sections.add(ToolSchemaRenderer.toolsSection(sys.tools()));
    Content.ChannelConfig cc = sys.channelConfig();
    if (cc != null && !cc.validChannels().isEmpty()) {
      StringBuilder h = new StringBuilder("# Valid channels: ").append(String.join(", ", cc.validChannels())).append('.');
      if (cc.channelRequired()) h.append(" Channel must be included for every message.");
      if (hasFunctionTools) h.append("\nCalls to these tools must go to the commentary channel: 'functions'.");
      sections.add(h.toString());
    }
    return String.join("\n\n", sections);
  }

  static String developerText(Content.DeveloperContent dev) {
    List<String> sections = new ArrayList<>();
    if (dev.instructions() != null) {
      sections.add("# Instructions");
      sections.add(dev.instructions());
    }
    if (dev.tools() != null && !dev.tools().isEmpty()) sections.add(ToolSchemaRenderer.toolsSection(dev.tools()));
    return String.join("\n\n", sections);
  }

  private void text(String s, IntArrayList out) {
    for (int id : tok.encode(s)) out.add(id);
  }
}
