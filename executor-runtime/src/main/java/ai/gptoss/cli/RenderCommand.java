package ai.gptoss.cli;

import ai.gptoss.harmony.ChatMessage;
import ai.gptoss.harmony.ChatOptions;
import ai.gptoss.harmony.Content;
import ai.gptoss.harmony.HarmonyJson;
import ai.gptoss.harmony.HarmonyRenderer;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.harmony.Message;
import ai.gptoss.harmony.ReasoningEffort;
import ai.gptoss.harmony.Role;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code gptoss render --input CONV.json}: a conversation rendered for completion, as ids and text. */
@Command(name = "render", mixinStandardHelpOptions = true,
    description = {"Prints {\"ids\": [...], \"text\": \"...\"}: the conversation rendered in the harmony format for the "
        + "next turn, ending with <|start|>assistant.",
        "--input takes harmony's JSON conversation ({\"messages\": [...]}, content parts of type text, system_content, "
            + "developer_content); with --chat it takes the chat form [{\"role\": ..., \"content\": \"...\"}] and the "
            + "system/developer messages come from --reasoning-effort, --instructions, --date, --tools. --prompt renders one "
            + "user question with the default system message."})
final class RenderCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--input", paramLabel = "FILE", description = "JSON conversation file, or - for standard input.")
  String input;

  @Option(names = "--prompt", paramLabel = "TEXT", description = "One user message, rendered the project's default way.")
  String prompt;

  @Option(names = "--chat", description = "--input is in the chat form [{\"role\", \"content\"}].")
  boolean chat;

  @Option(names = "--reasoning-effort", paramLabel = "low|medium|high", description = "Chat/prompt only. Default: medium.")
  String reasoningEffort;

  @Option(names = "--instructions", paramLabel = "TEXT", description = "Chat/prompt only: developer instructions.")
  String instructions;

  @Option(names = "--date", paramLabel = "YYYY-MM-DD", description = "Chat/prompt only: the Current date line (default: none).")
  String date;

  @Option(names = "--tools", paramLabel = "FILE",
      description = "Chat/prompt only: JSON list of functions [{\"name\", \"description\", \"parameters\"}].")
  String tools;

  @Option(names = "--next-role", defaultValue = "assistant", paramLabel = "ROLE",
      description = "Role of the turn to complete. Default: ${DEFAULT-VALUE}.")
  String nextRole;

  @Option(names = "--keep-analysis", description = "Keep earlier analysis messages (harmony drops them by default).")
  boolean keepAnalysis;

  @Override
  public Integer call() throws Exception {
    if ((input == null) == (prompt == null)) throw new IllegalArgumentException("give exactly one of --input FILE or --prompt TEXT");
    boolean chatStyle = prompt != null || chat;
    if (!chatStyle && (reasoningEffort != null || instructions != null || date != null || tools != null)) {
      throw new IllegalArgumentException("--reasoning-effort, --instructions, --date and --tools apply to --chat or --prompt input; "
          + "a harmony JSON conversation carries them in its system and developer messages");
    }
    Role next = Role.fromWire(nextRole);
    if (next == null) throw new IllegalArgumentException("--next-role: '" + nextRole + "' is not one of user, assistant, system, developer, tool");

    List<Message> messages;
    if (chatStyle) {
      List<ChatMessage> chatMessages;
      if (prompt != null) {
        chatMessages = List.of(ChatMessage.user(prompt));
      } else {
        JsonNode root = readJson();
        chatMessages = withSource(() -> HarmonyJson.readChat(root));
      }
      ChatOptions opts = options();
      messages = withSource(() -> ChatMessage.toHarmony(chatMessages, opts));
    } else {
      JsonNode root = readJson();
      if (root.isObject() && root.has("conversation")) { // a case of harmony.golden.json's "render" section
        JsonNode ntr = root.get("next_turn_role");
        boolean explicit = spec.commandLine().getParseResult().hasMatchedOption("--next-role");
        if (ntr != null && ntr.isTextual() && !explicit) {
          next = Role.fromWire(ntr.asText());
          if (next == null) throw new IllegalArgumentException("--input " + input + ": next_turn_role '" + ntr.asText() + "' is not a role");
        }
        root = root.get("conversation");
      }
      JsonNode conv = root;
      messages = withSource(() -> HarmonyJson.readConversation(conv));
    }
    Role nextTurn = next;
    int[] ids = withSource(() -> HarmonyRenderer.get().renderForCompletion(messages, nextTurn, !keepAnalysis));

    ObjectMapper json = new ObjectMapper();
    ObjectNode out = json.createObjectNode();
    ArrayNode arr = out.putArray("ids");
    for (int id : ids) arr.add(id);
    out.put("text", HarmonyTokenizer.get().decode(ids));
    spec.commandLine().getOut().println(json.writeValueAsString(out));
    spec.commandLine().getOut().flush();
    return 0;
  }

  private ChatOptions options() throws IOException {
    ChatOptions o = ChatOptions.DEFAULTS;
    if (reasoningEffort != null) o = o.withReasoningEffort(ReasoningEffort.parse(reasoningEffort, "--reasoning-effort"));
    if (instructions != null) o = o.withInstructions(instructions);
    if (date != null) {
      try {
        LocalDate.parse(date);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("--date: '" + date + "' is not a date like 2025-08-05");
      }
      o = o.withConversationStartDate(date);
    }
    if (tools != null) {
      JsonNode t = readJsonFile(tools, "--tools");
      List<Content.ToolDescription> list;
      try {
        list = HarmonyJson.readTools(t, "tools");
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--tools " + tools + ": " + e.getMessage());
      }
      o = o.withTools(list);
    }
    return o;
  }

  private interface Step<T> {
    T get() throws IOException;
  }

  /** Prefixes errors about the conversation's content with the file they came from. */
  private <T> T withSource(Step<T> s) throws IOException {
    try {
      return s.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException((input != null ? "--input " + input : "--prompt") + ": " + e.getMessage());
    }
  }

  private JsonNode readJson() throws IOException {
    return readJsonFile(input, "--input");
  }

  private JsonNode readJsonFile(String file, String option) throws IOException {
    String content;
    if (file.equals("-")) {
      content = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    } else {
      Path p = Path.of(file);
      if (!Files.isRegularFile(p)) throw new IllegalArgumentException(option + ": file " + file + " does not exist");
      content = Files.readString(p, StandardCharsets.UTF_8);
    }
    try {
      JsonNode n = new ObjectMapper().readTree(content);
      if (n == null || n.isMissingNode()) throw new IllegalArgumentException(option + " " + file + ": the file is empty");
      return n;
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      throw new IllegalArgumentException(option + " " + file + ": invalid JSON"
          + (loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "") + ": " + e.getOriginalMessage());
    }
  }
}
