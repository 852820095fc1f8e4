package ai.gptoss.harmony;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * harmony's JSON forms (serde layout of openai/harmony {@code chat.rs}) and the common chat form, read
 * and written with Jackson. Errors name the JSON path of the offending value, e.g. {@code messages[2].role}.
 */
public final class HarmonyJson {
  private HarmonyJson() {}

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** A harmony conversation: {@code {"messages": [...]}} or the bare array. */
  public static List<Message> readConversation(JsonNode root) {
    JsonNode msgs = root != null && root.isObject() ? root.get("messages") : root;
    if (msgs == null || !msgs.isArray()) {
      throw new IllegalArgumentException("a harmony conversation is {\"messages\": [...]} or an array of messages");
    }
    List<Message> out = new ArrayList<>();
    for (int i = 0; i < msgs.size(); i++) out.add(readMessage(msgs.get(i), "messages[" + i + "]"));
    return out;
  }

  public static Message readMessage(JsonNode m, String where) {
    if (m == null || !m.isObject()) throw new IllegalArgumentException(where + ": expected an object");
    String roleText = requiredText(m, "role", where);
    Role role = Role.fromWire(roleText);
    if (role == null) {
      throw new IllegalArgumentException(where + ".role: '" + roleText + "' is not one of user, assistant, system, developer, tool");
    }
    JsonNode c = m.get("content");
    List<Content> content = new ArrayList<>();
    if (c == null || c.isNull()) {
      throw new IllegalArgumentException(where + ".content is missing");
    } else if (c.isTextual()) {
      content.add(new Content.Text(c.asText()));
    } else if (c.isArray()) {
      for (int i = 0; i < c.size(); i++) content.add(readContent(c.get(i), where + ".content[" + i + "]"));
    } else {
      throw new IllegalArgumentException(where + ".content: expected a string or a list of content parts");
    }
    return new Message(role, optionalText(m, "name", where), optionalText(m, "recipient", where),
        optionalText(m, "channel", where), optionalText(m, "content_type", where), content);
  }

  private static Content readContent(JsonNode p, String where) {
    if (p == null || !p.isObject()) throw new IllegalArgumentException(where + ": expected an object with \"type\"");
    String type = requiredText(p, "type", where);
    switch (type) {
      case "text":
        return new Content.Text(requiredText(p, "text", where));
      case "system_content": {
        String effort = optionalText(p, "reasoning_effort", where);
        Content.ChannelConfig cc = null;
        JsonNode ccNode = p.get("channel_config");
        if (ccNode != null && !ccNode.isNull()) {
          String w = where + ".channel_config";
          JsonNode vc = ccNode.get("valid_channels");
          if (vc == null || !vc.isArray()) throw new IllegalArgumentException(w + ".valid_channels: expected a list of strings");
          List<String> channels = new ArrayList<>();
          for (int i = 0; i < vc.size(); i++) {
            if (!vc.get(i).isTextual()) throw new IllegalArgumentException(w + ".valid_channels[" + i + "]: expected a string");
            channels.add(vc.get(i).asText());
          }
          JsonNode req = ccNode.get("channel_required");
          if (req != null && !req.isBoolean()) throw new IllegalArgumentException(w + ".channel_required: expected true or false");
          cc = new Content.ChannelConfig(channels, req != null && req.asBoolean());
        }
        return new Content.SystemContent(optionalText(p, "model_identity", where),
            effort == null ? null : ReasoningEffort.parse(effort, where + ".reasoning_effort"),
            readToolMap(p.get("tools"), where + ".tools"), optionalText(p, "conversation_start_date", where),
            optionalText(p, "knowledge_cutoff", where), cc);
      }
      case "developer_content":
        return new Content.DeveloperContent(optionalText(p, "instructions", where), readToolMap(p.get("tools"), where + ".tools"));
      default:
        throw new IllegalArgumentException(where + ".type: '" + type + "' is not text, system_content or developer_content");
    }
  }

  /** {@code {"functions": {"name": "functions", "description": null, "tools": [...]}, ...}}, or null. */
  static Map<String, ToolNamespace> readToolMap(JsonNode t, String where) {
    if (t == null || t.isNull()) return null;
    if (!t.isObject()) throw new IllegalArgumentException(where + ": expected an object of tool namespaces");
    Map<String, ToolNamespace> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = t.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String w = where + "." + e.getKey();
      JsonNode ns = e.getValue();
      if (!ns.isObject()) throw new IllegalArgumentException(w + ": expected an object with name and tools");
      JsonNode tools = ns.get("tools");
      if (tools == null || !tools.isArray()) throw new IllegalArgumentException(w + ".tools: expected a list");
      out.put(e.getKey(), new ToolNamespace(requiredText(ns, "name", w), optionalText(ns, "description", w),
          readTools(tools, w + ".tools")));
    }
    return out;
  }

  /**
   * A list of function tools: {@code [{"name", "description", "parameters"}]}, each also accepted in the
   * OpenAI style {@code {"type": "function", "function": {...}}}.
   */
  public static List<Content.ToolDescription> readTools(JsonNode arr, String where) {
    if (arr == null || !arr.isArray()) throw new IllegalArgumentException(where + ": expected a list of tools");
    List<Content.ToolDescription> out = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      String w = where + "[" + i + "]";
      JsonNode tn = arr.get(i);
      if (tn != null && tn.isObject() && tn.has("function")) {
        tn = tn.get("function");
        w = w + ".function";
      }
      if (tn == null || !tn.isObject()) throw new IllegalArgumentException(w + ": expected an object with name, description, parameters");
      JsonNode params = tn.get("parameters");
      if (params != null && !params.isNull() && !params.isObject()) {
        throw new IllegalArgumentException(w + ".parameters: expected a JSON schema object");
      }
      String desc = optionalText(tn, "description", w);
      out.add(new Content.ToolDescription(requiredText(tn, "name", w), desc == null ? "" : desc,
          params == null || params.isNull() ? null : params));
    }
    return out;
  }

  /** The chat form: {@code [{"role": ..., "content": "...", "thinking"?: "...", "name"?: "..."}]} or {@code {"messages": [...]}}. */
  public static List<ChatMessage> readChat(JsonNode root) {
    JsonNode msgs = root != null && root.isObject() ? root.get("messages") : root;
    if (msgs == null || !msgs.isArray()) {
      throw new IllegalArgumentException("a chat conversation is an array of {\"role\", \"content\"} objects");
    }
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < msgs.size(); i++) {
      String w = "messages[" + i + "]";
      JsonNode m = msgs.get(i);
      if (!m.isObject()) throw new IllegalArgumentException(w + ": expected an object with role and content");
      out.add(new ChatMessage(requiredText(m, "role", w), requiredText(m, "content", w), optionalText(m, "thinking", w),
          optionalText(m, "name", w)));
    }
    return out;
  }

  /**
   * Chat options from a JSON object's optional keys {@code reasoning_effort}, {@code instructions},
   * {@code date} and {@code tools} (e.g. a batch input line), over {@code base}.
   */
  public static ChatOptions readChatOptions(JsonNode o, ChatOptions base, String where) {
    ChatOptions out = base;
    if (o == null || !o.isObject()) return out;
    String effort = optionalText(o, "reasoning_effort", where);
    if (effort != null) out = out.withReasoningEffort(ReasoningEffort.parse(effort, where + ".reasoning_effort"));
    String instructions = optionalText(o, "instructions", where);
    if (instructions != null) out = out.withInstructions(instructions);
    String date = optionalText(o, "date", where);
    if (date != null) out = out.withConversationStartDate(date);
    JsonNode tools = o.get("tools");
    if (tools != null && !tools.isNull()) out = out.withTools(readTools(tools, where + ".tools"));
    return out;
  }

  /** A parsed message in harmony's JSON form: role, name?, recipient?, content, channel?, content_type?. */
  public static ObjectNode write(ParsedMessage m) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("role", m.role().wireName());
    if (m.name() != null) o.put("name", m.name());
    if (m.recipient() != null) o.put("recipient", m.recipient());
    o.put("content", m.content());
    if (m.channel() != null) o.put("channel", m.channel());
    if (m.contentType() != null) o.put("content_type", m.contentType());
    return o;
  }

  /**
   * {@code {"messages": [...]}} in harmony's form, plus (only when something was wrong) {@code "issues"}:
   * {@code [{"kind": "TRUNCATED", "token_index": 17, "detail": "..."}]}.
   */
  public static ObjectNode write(ParseResult r) {
    ObjectNode o = MAPPER.createObjectNode();
    ArrayNode arr = o.putArray("messages");
    for (ParsedMessage m : r.messages()) arr.add(write(m));
    if (!r.problems().isEmpty()) {
      ArrayNode issues = o.putArray("issues");
      for (ParseResult.Problem p : r.problems()) {
        issues.addObject().put("kind", p.kind().name()).put("token_index", p.tokenIndex()).put("detail", p.detail());
      }
    }
    return o;
  }

  private static String requiredText(JsonNode o, String key, String where) {
    JsonNode v = o.get(key);
    if (v == null || v.isNull()) throw new IllegalArgumentException(where + "." + key + " is missing");
    if (!v.isTextual()) throw new IllegalArgumentException(where + "." + key + ": expected a string, got " + v.getNodeType());
    return v.asText();
  }

  private static String optionalText(JsonNode o, String key, String where) {
    JsonNode v = o.get(key);
    if (v == null || v.isNull()) return null;
    if (!v.isTextual()) throw new IllegalArgumentException(where + "." + key + ": expected a string, got " + v.getNodeType());
    return v.asText();
  }
}
