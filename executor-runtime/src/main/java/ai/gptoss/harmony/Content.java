package ai.gptoss.harmony;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** A content part of a {@link Message} (harmony {@code chat.rs Content}, JSON tag {@code type}). */
public sealed interface Content {

  /** {@code {"type": "text", "text": ...}}. */
  record Text(String text) implements Content {
    public Text {
      if (text == null) throw new IllegalArgumentException("text content is null");
    }
  }

  /**
   * The system message body ({@code "type": "system_content"}); null fields are not rendered.
   *
   * @param tools namespaces by name, rendered in key order (harmony keeps them in a BTreeMap)
   */
  record SystemContent(
      String modelIdentity,
      ReasoningEffort reasoningEffort,
      Map<String, ToolNamespace> tools,
      String conversationStartDate,
      String knowledgeCutoff,
      ChannelConfig channelConfig) implements Content {

    public static final String DEFAULT_MODEL_IDENTITY = "You are ChatGPT, a large language model trained by OpenAI.";
    public static final String DEFAULT_KNOWLEDGE_CUTOFF = "2024-06";

    public SystemContent {
      tools = tools == null ? null : ToolNamespace.sorted(tools);
    }

    /** harmony's {@code SystemContent::default()}: identity, cutoff 2024-06, medium effort, no date, the three channels required. */
    public static SystemContent defaults() {
      return new SystemContent(DEFAULT_MODEL_IDENTITY, ReasoningEffort.MEDIUM, null, null, DEFAULT_KNOWLEDGE_CUTOFF,
          ChannelConfig.requireChannels(List.of("analysis", "commentary", "final")));
    }

    public SystemContent withReasoningEffort(ReasoningEffort e) {
      return new SystemContent(modelIdentity, e, tools, conversationStartDate, knowledgeCutoff, channelConfig);
    }

    public SystemContent withConversationStartDate(String date) {
      return new SystemContent(modelIdentity, reasoningEffort, tools, date, knowledgeCutoff, channelConfig);
    }
  }

  /** The developer message body ({@code "type": "developer_content"}): instructions and tools. */
  record DeveloperContent(String instructions, Map<String, ToolNamespace> tools) implements Content {
    public DeveloperContent {
      tools = tools == null ? null : ToolNamespace.sorted(tools);
    }
  }

  /** Which channels the model may use and whether every message needs one. */
  record ChannelConfig(List<String> validChannels, boolean channelRequired) {
    public ChannelConfig {
      validChannels = List.copyOf(validChannels);
    }

    public static ChannelConfig requireChannels(List<String> channels) {
      return new ChannelConfig(channels, true);
    }
  }

  /** One function a namespace offers; {@code parameters} is a JSON schema or null. */
  record ToolDescription(String name, String description, JsonNode parameters) {}
}
