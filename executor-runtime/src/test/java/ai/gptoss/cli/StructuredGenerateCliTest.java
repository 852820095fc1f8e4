package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.structured.Schemas;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gptoss generate --response-format} and the per-line {@code response_format} key, on the embedded
 * tiny-qa model: every line's final answer validates against its own schema (the line's key overrides the
 * command's default, null turns it off), each record's {@code value} is that answer's JSON (null, with the error
 * saying why, when cut off before it closed), and a bad schema fails only its line, naming the keyword.
 */
class StructuredGenerateCliTest {
  @Test
  void defaultAndPerLineSchemas(@TempDir Path dir) throws Exception {
    Schemas.Case array = Schemas.named("array_strings"), integer = Schemas.named("integer_range"), nested = Schemas.named("nested");
    Path schemaFile = dir.resolve("schema.json");
    Files.writeString(schemaFile, array.formatJson());
    List<String> lines = new ArrayList<>();
    lines.add("{\"id\": \"default\", \"prompt\": \"What is the capital of France?\"}");
    lines.add("{\"id\": \"own\", \"prompt\": \"What is 7 + 5?\", \"response_format\": " + integer.formatJson() + "}");
    lines.add("{\"id\": \"text\", \"prompt\": \"What is 7 + 5?\", \"response_format\": " + HarmonyBatchGenerateTest.JSON.writeValueAsString(
        nested.formatJson()) + ", \"temperature\": 1.0, \"seed\": 3}");
    lines.add("{\"id\": \"none\", \"prompt\": \"What is 7 + 5?\", \"response_format\": null}");
    lines.add("{\"id\": \"bad\", \"prompt\": \"hi\", \"response_format\": {\"type\": \"string\", \"format\": \"email\"}}");
    lines.add("{\"id\": \"short\", \"prompt\": \"What is 7 + 5?\", \"max_new_tokens\": 4}");
    Path in = dir.resolve("in.jsonl"), out = dir.resolve("out.jsonl");
    Files.write(in, lines, StandardCharsets.UTF_8);
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      status = GptossCli.run("generate", "--device", "cpu", "--max-new-tokens", "160", "--response-format", "@" + schemaFile,
          "--input", in.toString(), "--output", out.toString());
    } finally {
      System.setErr(oldErr);
    }
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    List<JsonNode> rec = new ArrayList<>();
    for (String l : Files.readAllLines(out)) rec.add(HarmonyBatchGenerateTest.JSON.readTree(l));
    assertEquals(6, rec.size());
    Schemas.Case[] expect = {array, integer, nested};
    for (int i = 0; i < 3; i++) {
      JsonNode o = rec.get(i);
      assertNull(o.get("error").textValue(), o.toString());
      assertEquals("stop", o.get("finish_reason").asText(), o.toString());
      assertNull(expect[i].problem(o.get("final").asText()), o.toString());
      assertEquals(HarmonyBatchGenerateTest.JSON.readTree(o.get("final").asText()), o.get("value"), "the value is the answer's JSON: " + o);
    }
    assertEquals("12", rec.get(3).get("final").asText(), "unconstrained: " + rec.get(3));
    assertTrue(!rec.get(3).has("value"), "no value without a response_format: " + rec.get(3));
    JsonNode cut = rec.get(5);
    assertTrue(cut.has("value") && cut.get("value").isNull(), "cut off before its JSON closed: " + cut);
    assertEquals("line 6 (id \"short\"): response_format: the answer ended before its JSON value closed (finish_reason=length, "
        + "max_new_tokens=4; the model had not started its final message); raise max_new_tokens", cut.get("error").asText());
    JsonNode bad = rec.get(4);
    assertEquals("error", bad.get("finish_reason").asText());
    assertTrue(bad.get("error").asText().contains("unsupported keyword \"format\" at $"), bad.toString());
  }

  @Test
  void aBadCommandLineSchemaFailsBeforeAnythingRuns(@TempDir Path dir) throws Exception {
    Path in = dir.resolve("in.jsonl");
    Files.writeString(in, "{\"prompt\": \"hi\"}\n");
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      status = GptossCli.run("generate", "--device", "cpu", "--response-format", "{\"type\":\"object\",\"patternProperties\":{}}",
          "--input", in.toString(), "--output", dir.resolve("o.jsonl").toString());
    } finally {
      System.setErr(oldErr);
    }
    assertTrue(status != 0);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--response-format: response_format: unsupported keyword \"patternProperties\" at $"),
        err.toString(StandardCharsets.UTF_8));
  }
}
