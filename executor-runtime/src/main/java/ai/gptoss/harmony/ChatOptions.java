package ai.gptoss.harmony;

import java.util.List;

/**
 * Options for rendering a chat-form conversation ({@link ChatMessage}); they fill harmony's system and
 * developer messages.
 *
 * @param reasoningEffort {@code Reasoning: ...} line of the system message (never null)
 * @param instructions developer instructions, or null for none
 * @param conversationStartDate {@code Current date: ...} line (an ISO date such as 2025-08-05), or null to leave it out
 * @param tools functions offered to the model (rendered in the developer message's {@code functions} namespace)
 * @param knowledgeCutoff {@code Knowledge cutoff: ...} line, or null to leave it out
 * @param modelIdentity first line of the system message, or null to leave it out
 */
public record ChatOptions(
    ReasoningEffort reasoningEffort,
    String instructions,
    String conversationStartDate,
    List<Content.ToolDescription> tools,
    String knowledgeCutoff,
    String modelIdentity) {

  /** harmony's defaults: medium effort, no date, no instructions, no tools. */
  public static final ChatOptions DEFAULTS = new ChatOptions(ReasoningEffort.MEDIUM, null, null, List.of(),
      Content.SystemContent.DEFAULT_KNOWLEDGE_CUTOFF, Content.SystemContent.DEFAULT_MODEL_IDENTITY);

  public ChatOptions {
    if (reasoningEffort == null) throw new IllegalArgumentException("reasoning effort is missing");
    tools = tools == null ? List.of() : List.copyOf(tools);
  }

  public ChatOptions withReasoningEffort(ReasoningEffort e) {
    return new ChatOptions(e, instructions, conversationStartDate, tools, knowledgeCutoff, modelIdentity);
  }

  public ChatOptions withInstructions(String s) {
    return new ChatOptions(reasoningEffort, s, conversationStartDate, tools, knowledgeCutoff, modelIdentity);
  }

  public ChatOptions withConversationStartDate(String date) {
    return new ChatOptions(reasoningEffort, instructions, date, tools, knowledgeCutoff, modelIdentity);
  }

  public ChatOptions withTools(List<Content.ToolDescription> t) {
    return new ChatOptions(reasoningEffort, instructions, conversationStartDate, t, knowledgeCutoff, modelIdentity);
  }
}
