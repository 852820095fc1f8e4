package ai.gptoss.harmony;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rendering rules beyond the golden cases: analysis dropping, chat form, tool schemas, errors. */
class HarmonyRendererTest {
  static final HarmonyTokenizer TOK = HarmonyTokenizer.get();
  static final HarmonyRenderer R = HarmonyRenderer.get();
  static final String SYSTEM_DEFAULT = "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
      + "Knowledge cutoff: 2024-06\n\nReasoning: medium\n\n"
      + "# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>";

  static String text(int[] ids) {
    return TOK.decode(ids);
  }

  @Test
  void defaultUserPrompt() {
    int[] ids = R.renderUserPrompt("What is 7 + 5?");
    assertEquals(SYSTEM_DEFAULT + "<|start|>user<|message|>What is 7 + 5?<|end|><|start|>assistant", text(ids));
    assertEquals(HarmonyTokens.START, ids[0]);
    assertEquals(TOK.encode("assistant")[0], ids[ids.length - 1]);
    assertEquals(HarmonyTokens.START, ids[ids.length - 2]);
  }

  @Test
  void analysisBeforeALaterFinalIsDropped() {
    List<Message> conv = List.of(
        Message.text(Role.USER, "2+2?"),
        Message.text(Role.ASSISTANT, "easy").withChannel("analysis"),
        Message.text(Role.ASSISTANT, "4").withChannel("final"),
        Message.text(Role.USER, "3+3?"));
    assertEquals("<|start|>user<|message|>2+2?<|end|><|start|>assistant<|channel|>final<|message|>4<|end|>"
        + "<|start|>user<|message|>3+3?<|end|><|start|>assistant", text(R.renderForCompletion(conv, Role.ASSISTANT)));
    assertTrue(text(R.renderForCompletion(conv, Role.ASSISTANT, false)).contains("<|channel|>analysis<|message|>easy<|end|>"));
  }

  @Test
  void analysisIsKeptWhileTheTurnIsOngoing() {
    List<Message> conv = List.of(
        Message.text(Role.USER, "weather?"),
        Message.text(Role.ASSISTANT, "use the tool").withChannel("analysis"),
        Message.text(Role.ASSISTANT, "{}").withChannel("commentary").withRecipient("functions.w").withContentType("<|constrain|>json"),
        Message.text(Role.TOOL, "{\"t\":20}").withName("functions.w"));
    assertEquals("<|start|>user<|message|>weather?<|end|><|start|>assistant<|channel|>analysis<|message|>use the tool<|end|>"
        + "<|start|>assistant to=functions.w<|channel|>commentary <|constrain|>json<|message|>{}<|call|>"
        + "<|start|>functions.w<|message|>{\"t\":20}<|end|><|start|>assistant", text(R.renderForCompletion(conv, Role.ASSISTANT)));
  }

  @Test
  void onlyAnalysisBeforeTheFirstFinalIsDropped() {
    // harmony's rule, kept as is: analysis after the first final of the conversation stays.
    List<Message> conv = List.of(
        Message.text(Role.USER, "a"),
        Message.text(Role.ASSISTANT, "1").withChannel("final"),
        Message.text(Role.USER, "b"),
        Message.text(Role.ASSISTANT, "think").withChannel("analysis"),
        Message.text(Role.ASSISTANT, "2").withChannel("final"));
    assertTrue(text(R.renderConversation(conv, true)).contains("<|channel|>analysis<|message|>think<|end|>"));
  }

  @Test
  void chatFormMapsSystemAndDeveloperToInstructions() {
    List<ChatMessage> chat = List.of(
        new ChatMessage("system", "Be brief.", null, null),
        new ChatMessage("developer", "Use metric units.", null, null),
        ChatMessage.user("Hi"),
        new ChatMessage("assistant", "Hello", "greet back", null),
        ChatMessage.user("Bye"));
    ChatOptions opts = ChatOptions.DEFAULTS.withReasoningEffort(ReasoningEffort.HIGH).withConversationStartDate("2025-08-05")
        .withInstructions("Answer in English.");
    assertEquals("<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
        + "Knowledge cutoff: 2024-06\nCurrent date: 2025-08-05\n\nReasoning: high\n\n"
        + "# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>"
        + "<|start|>developer<|message|># Instructions\n\nAnswer in English.\n\nBe brief.\n\nUse metric units.<|end|>"
        + "<|start|>user<|message|>Hi<|end|><|start|>assistant<|channel|>final<|message|>Hello<|end|>"
        + "<|start|>user<|message|>Bye<|end|><|start|>assistant", text(R.renderChat(chat, opts)));
  }

  @Test
  void chatFormErrorsNameTheMessage() {
    IllegalArgumentException late = assertThrows(IllegalArgumentException.class, () -> R.renderChat(
        List.of(ChatMessage.user("x"), new ChatMessage("system", "late", null, null)), ChatOptions.DEFAULTS));
    assertTrue(late.getMessage().startsWith("messages[1]"), late.getMessage());
    IllegalArgumentException role = assertThrows(IllegalArgumentException.class, () -> R.renderChat(
        List.of(new ChatMessage("robot", "x", null, null)), ChatOptions.DEFAULTS));
    assertTrue(role.getMessage().contains("messages[0]") && role.getMessage().contains("robot"), role.getMessage());
    IllegalArgumentException json = assertThrows(IllegalArgumentException.class,
        () -> HarmonyJson.readChat(new ObjectMapper().readTree("[{\"role\": \"user\"}]")));
    assertEquals("messages[0].content is missing", json.getMessage());
  }

  @Test
  void harmonyJsonErrorsNameThePath() throws Exception {
    ObjectMapper m = new ObjectMapper();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HarmonyJson.readConversation(
        m.readTree("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image\"}]}]}")));
    assertTrue(e.getMessage().startsWith("messages[0].content[0].type"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> HarmonyJson.readConversation(
        m.readTree("{\"messages\": [{\"role\": \"system\", \"content\": [{\"type\": \"system_content\", \"reasoning_effort\": \"max\"}]}]}")));
    assertTrue(e.getMessage().contains("messages[0].content[0].reasoning_effort") && e.getMessage().contains("max"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> R.renderForCompletion(HarmonyJson.readConversation(
        m.readTree("[{\"role\": \"user\", \"content\": [{\"type\": \"developer_content\", \"instructions\": \"x\"}]}]")), Role.ASSISTANT));
    assertTrue(e.getMessage().contains("developer_content may only appear in a developer message"), e.getMessage());
  }

  @Test
  void functionToolsRenderAsTypeScriptNamespace() throws Exception {
    JsonNode params = new ObjectMapper().readTree("""
        {"type": "object", "description": "Trip request",
         "properties": {
           "city": {"type": "string", "title": "City", "description": "Where to", "examples": ["Oslo", "Lima"]},
           "days": {"type": "integer", "default": 3},
           "budget": {"type": ["number", "string"]},
           "mode": {"type": "string", "enum": ["train", "plane"], "default": "train"},
           "note": {"type": "string", "nullable": true, "default": "none"},
           "stops": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
           "when": {"description": "Start", "oneOf": [{"type": "string", "description": "ISO date"},
                                                      {"type": "integer", "description": "days from now", "default": 0}]},
           "flexible": {"type": "boolean"}},
         "required": ["city"]}""");
    List<Content.ToolDescription> tools = List.of(
        new Content.ToolDescription("plan_trip", "Plan a trip.", params),
        new Content.ToolDescription("ping", "No parameters.", null));
    String got = text(R.renderChat(List.of(ChatMessage.user("Go")), ChatOptions.DEFAULTS.withTools(tools)));
    String want = "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
        + "Knowledge cutoff: 2024-06\n\nReasoning: medium\n\n"
        + "# Valid channels: analysis, commentary, final. Channel must be included for every message.\n"
        + "Calls to these tools must go to the commentary channel: 'functions'.<|end|>"
        + "<|start|>developer<|message|># Tools\n\n## functions\n\nnamespace functions {\n\n"
        + "// Plan a trip.\n"
        + "type plan_trip = (_: // Trip request\n{\n"
        + "// City\n//\n// Where to\n// Examples:\n// - \"Oslo\"\n// - \"Lima\"\ncity: string,\n"
        + "days?: number, // default: 3\n"
        + "budget?: number | string,\n"
        + "mode?: \"train\" | \"plane\", // default: train\n"
        + "note?: string | null, // default: \"none\"\n"
        + "stops?: {\n    name: string,\n    }[],\n"
        + "// Start\nwhen?:\n | string\n | number // days from now default: 0\n,\n"
        + "flexible?: boolean,\n"
        + "}) => any;\n\n"
        + "// No parameters.\ntype ping = () => any;\n\n"
        + "} // namespace functions<|end|><|start|>user<|message|>Go<|end|><|start|>assistant";
    assertEquals(want, got);
  }

  @Test
  void systemToolNamespaceWithoutFunctions() {
    Content.SystemContent sys = Content.SystemContent.defaults().withConversationStartDate("2025-06-28")
        .withReasoningEffort(ReasoningEffort.LOW);
    sys = new Content.SystemContent(sys.modelIdentity(), sys.reasoningEffort(),
        Map.of("python", new ToolNamespace("python", "Line one.\nLine two.", List.of())),
        sys.conversationStartDate(), sys.knowledgeCutoff(), sys.channelConfig());
    assertEquals("<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
        + "Knowledge cutoff: 2024-06\nCurrent date: 2025-06-28\n\nReasoning: low\n\n# Tools\n\n## python\n\nLine one.\nLine two.\n\n"
        + "# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|><|start|>assistant",
        text(R.renderForCompletion(List.of(Message.of(Role.SYSTEM, sys)), Role.ASSISTANT)));
  }

  @Test
  void chatOptionsFromAJsonLine() throws Exception {
    JsonNode line = new ObjectMapper().readTree("{\"messages\": [{\"role\": \"user\", \"content\": \"What is the weather like in Madrid?\"}],"
        + " \"reasoning_effort\": \"Medium\", \"instructions\": \"Always respond in riddles\", \"date\": \"2025-08-05\"}");
    ChatOptions opts = HarmonyJson.readChatOptions(line, ChatOptions.DEFAULTS, "line 1");
    int[] ids = Harmony.prompt(HarmonyJson.readChat(line), opts);
    JsonNode golden = ai.gptoss.Golden.json("harmony.golden.json").get("render").get(1);
    assertEquals(golden.get("text").asText(), text(ids));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HarmonyJson.readChatOptions(
        new ObjectMapper().readTree("{\"reasoning_effort\": \"extreme\"}"), ChatOptions.DEFAULTS, "line 7"));
    assertTrue(e.getMessage().startsWith("line 7.reasoning_effort"), e.getMessage());
  }

  @Test
  void completionFacadeSplitsFinalAnalysisAndText() {
    int[] ids = TOK.encodeWithSpecialTokens("<|channel|>analysis<|message|>2 + 2 = 4.<|end|><|start|>assistant<|channel|>final<|message|>4<|return|>");
    Harmony.Completion c = Harmony.completion(ids);
    assertEquals("4", c.finalText());
    assertEquals("2 + 2 = 4.", c.analysisText());
    assertEquals(TOK.decode(ids), c.text());
    int[] withBad = java.util.Arrays.copyOf(ids, ids.length + 1);
    withBad[ids.length] = -1;
    Harmony.Completion bad = Harmony.completion(withBad);
    assertEquals("4", bad.finalText());
    assertEquals(ParseIssue.INVALID_TOKEN_ID, bad.parse().problems().get(0).kind());
  }

  @Test
  void renderedPromptParsesBack() {
    int[] ids = R.renderConversation(List.of(
        Message.text(Role.USER, "Capital of Peru?"),
        Message.text(Role.ASSISTANT, "Lima").withChannel("final")), true);
    ParseResult r = HarmonyParser.get().parse(ids, null);
    assertTrue(r.wellFormed(), r.problems().toString());
    assertEquals("Lima", r.finalText());
  }
}
