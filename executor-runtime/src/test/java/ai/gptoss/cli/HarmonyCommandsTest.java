package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.harmony.HarmonyRenderer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gptoss tokenize | render | parse} end to end through {@link GptossCli#run}. */
class HarmonyCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final JsonNode GOLDEN = Golden.json("harmony.golden.json");

  @TempDir Path tmp;

  record Run(int rc, String out, String err) {
    JsonNode json() throws Exception {
      return JSON.readTree(out);
    }
  }

  static Run cli(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int rc = GptossCli.run(args);
      return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  Path file(String name, String content) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, content, StandardCharsets.UTF_8);
    return p;
  }

  @Test
  void tokenize() throws Exception {
    Run r = cli("tokenize", "--text", "Hello, world!");
    assertEquals(0, r.rc(), r.err());
    assertEquals("{\"ids\":[13225,11,2375,0]}", r.out().trim());
    JsonNode special = GOLDEN.get("encode").get(15);
    Run s = cli("tokenize", "--allow-special", "--text", special.get("text").asText());
    assertEquals(special.get("ids"), s.json().get("ids"));
  }

  @Test
  void renderHarmonyConversationFile() throws Exception {
    for (JsonNode c : GOLDEN.get("render")) {
      Path conv = file("conv.json", c.get("conversation").toString());
      Run r = cli("render", "--input", conv.toString());
      assertEquals(0, r.rc(), r.err());
      assertEquals(c.get("ids"), r.json().get("ids"));
      assertEquals(c.get("text"), r.json().get("text"));
      Run whole = cli("render", "--input", file("case.json", c.toString()).toString());
      assertEquals(c.get("ids"), whole.json().get("ids"), "a fixture case object is accepted as is");
    }
  }

  @Test
  void renderPromptAndChat() throws Exception {
    Run p = cli("render", "--prompt", "What is 7 + 5?");
    assertEquals(0, p.rc(), p.err());
    StringJoiner want = new StringJoiner(",", "[", "]");
    for (int id : HarmonyRenderer.get().renderUserPrompt("What is 7 + 5?")) want.add(Integer.toString(id));
    assertEquals(want.toString(), p.json().get("ids").toString());

    Path chat = file("chat.json", "[{\"role\": \"system\", \"content\": \"Always respond in riddles\"},"
        + "{\"role\": \"user\", \"content\": \"What is the weather like in Madrid?\"}]");
    Run c = cli("render", "--chat", "--input", chat.toString(), "--reasoning-effort", "medium", "--date", "2025-08-05");
    assertEquals(0, c.rc(), c.err());
    assertEquals(GOLDEN.get("render").get(1).get("ids"), c.json().get("ids"), "chat form reproduces golden render case 1");
  }

  @Test
  void parseIds() throws Exception {
    JsonNode c = GOLDEN.get("parse").get(2);
    StringJoiner ids = new StringJoiner(",");
    c.get("completion_ids").forEach(n -> ids.add(n.asText()));
    Run r = cli("parse", "--ids", ids.toString());
    assertEquals(0, r.rc(), r.err());
    assertEquals(c.get("messages"), r.json().get("messages"));
    assertTrue(!r.json().has("issues"), r.out());

    Run cut = cli("parse", "--ids", "200005,17196,200008,72782");
    assertEquals(0, cut.rc(), cut.err());
    assertEquals("Paris", cut.json().get("messages").get(0).get("content").asText());
    assertEquals("TRUNCATED", cut.json().get("issues").get(0).get("kind").asText());
  }

  @Test
  void errorsNameTheProblemAndExitNonZero() throws Exception {
    Run missing = cli("render", "--input", tmp.resolve("nope.json").toString());
    assertEquals(1, missing.rc());
    assertTrue(missing.err().contains("--input: file") && missing.err().contains("nope.json") && missing.err().contains("does not exist"),
        missing.err());

    Run badJson = cli("render", "--input", file("bad.json", "{\"messages\": [").toString());
    assertEquals(1, badJson.rc());
    assertTrue(badJson.err().contains("invalid JSON at line 1"), badJson.err());

    Run badRole = cli("render", "--input", file("role.json", "{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}").toString());
    assertEquals(1, badRole.rc());
    assertTrue(badRole.err().contains("messages[0].role") && badRole.err().contains("robot"), badRole.err());

    Run badDate = cli("render", "--prompt", "hi", "--date", "2025-13-01");
    assertEquals(1, badDate.rc());
    assertTrue(badDate.err().contains("--date: '2025-13-01'"), badDate.err());

    Run neither = cli("render");
    assertEquals(1, neither.rc());
    assertTrue(neither.err().contains("--input FILE or --prompt TEXT"), neither.err());

    Run optsWithoutChat = cli("render", "--input", file("c.json", "[]").toString(), "--instructions", "x");
    assertEquals(1, optsWithoutChat.rc());
    assertTrue(optsWithoutChat.err().contains("apply to --chat or --prompt"), optsWithoutChat.err());

    Run badIds = cli("parse", "--ids", "1,x,3");
    assertNotEquals(0, badIds.rc());
    assertTrue(badIds.err().contains("'x' is not a token id"), badIds.err());

    Run noText = cli("tokenize");
    assertNotEquals(0, noText.rc());
    assertTrue(noText.err().contains("--text"), noText.err());

    Run badStart = cli("parse", "--ids", "1", "--start-role", "robot");
    assertEquals(1, badStart.rc());
    assertTrue(badStart.err().contains("--start-role: 'robot'"), badStart.err());
  }
}
