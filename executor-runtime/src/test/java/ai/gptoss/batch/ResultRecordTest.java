package ai.gptoss.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.structured.ResponseFormat;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code value} of the batch records ({@code generate --input} and {@code spark-generate} write the same) for
 * lines with a response_format.
 */
class ResultRecordTest {
  private static final ResponseFormat POINT = ResponseFormat.parse("{\"type\": \"object\", \"properties\": {\"x\": {\"type\":"
      + " \"integer\"}, \"y\": {\"type\": \"integer\"}}, \"required\": [\"x\", \"y\"]}");
  private static final RequestLine.Parsed LINE = new RequestLine.Parsed(3, TextNode.valueOf("q1"), "prompt", null, null);

  private static GenerationRequest request(ResponseFormat f, int maxNewTokens) {
    return new GenerationRequest("r", new int[] {1, 2}, maxNewTokens, List.of(200002), SamplingParams.greedy(), f);
  }

  private static Answer answer(String finalText, String finishReason, String error) {
    return new Answer(finalText, null, null, finishReason, 2, 5, 0, new int[] {7, 8}, error);
  }

  private static ObjectNode record(GenerationRequest r, Answer a) {
    return ResultRecord.of(LINE, r, a, true);
  }

  @Test
  void aCompletedAnswerIsItsJsonValue() {
    ObjectNode o = record(request(POINT, 64), answer("{\"x\":1,\"y\":-2}", "stop", null));
    assertEquals("{\"x\":1,\"y\":-2}", o.get("value").toString());
    assertEquals("stop", o.get("finish_reason").textValue());
    assertEquals(true, o.get("error").isNull());
    assertEquals(List.of("id", "output_ids", "finish_reason", "prompt_tokens", "completion_tokens", "cached_tokens", "error",
        "final", "analysis", "text", "value"), List.copyOf(iterable(o)));
  }

  private static List<String> iterable(ObjectNode o) {
    List<String> names = new java.util.ArrayList<>();
    o.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void aLineCutOffBeforeItsJsonClosedHasANullValueAndSaysSo() {
    ObjectNode o = record(request(POINT, 4), answer("{\"x\":1", "length", "line 3 (id \"q1\"): cut off by max_new_tokens=4"));
    assertEquals(true, o.get("value").isNull());
    assertEquals("line 3 (id \"q1\"): response_format: the answer ended before its JSON value closed (finish_reason=length, "
        + "max_new_tokens=4); raise max_new_tokens", o.get("error").textValue());
    ObjectNode auto = record(request(POINT, Integer.MAX_VALUE), answer(null, "length", "x"));
    assertEquals("line 3 (id \"q1\"): response_format: the answer ended before its JSON value closed (finish_reason=length, "
        + "max_new_tokens=auto; the model had not started its final message); raise max_new_tokens", auto.get("error").textValue());
  }

  @Test
  void anAnswerTheSchemaDoesNotGenerateIsNullWithWhere() {
    ObjectNode missing = record(request(POINT, 64), answer("{\"x\":1}", "stop", null));
    assertEquals(true, missing.get("value").isNull());
    assertEquals("line 3 (id \"q1\"): response_format: the answer does not follow the schema: at character 6 (\"}\")",
        missing.get("error").textValue());
    ObjectNode spaced = record(request(POINT, 64), answer("{\"x\": 1,\"y\":2}", "stop", null));
    assertEquals("line 3 (id \"q1\"): response_format: the answer does not follow the schema: at character 5 (\" 1,\"y\":2\")",
        spaced.get("error").textValue());
    ObjectNode cut = record(request(ResponseFormat.parse("{\"type\":\"string\",\"minLength\":3}"), 64), answer("\"ab", "stop", null));
    assertEquals(true, cut.get("error").textValue().startsWith("line 3 (id \"q1\"): response_format: the answer is not one JSON "
        + "value: "), cut.toString());
    ObjectNode shortText = record(request(ResponseFormat.parse("{\"type\":\"string\",\"minLength\":3}"), 64), answer("\"ab\"", "stop", null));
    assertEquals("line 3 (id \"q1\"): response_format: the answer does not follow the schema: at character 3 (\"\"\")",
        shortText.get("error").textValue());
  }

  @Test
  void failedAndCancelledRowsKeepTheirOwnError() {
    ObjectNode o = record(request(POINT, 64), answer(null, "error", "line 3 (id \"q1\"): prompt too long"));
    assertEquals(true, o.get("value").isNull());
    assertEquals("line 3 (id \"q1\"): prompt too long", o.get("error").textValue());
    assertNull(AnswerValue.parse(null, "cancelled", "max_new_tokens=4").error());
  }

  @Test
  void linesWithoutAResponseFormatKeepTheirRecord() {
    Answer a = answer("13", "stop", null);
    ObjectNode o = record(request(null, 64), a);
    assertFalse(o.has("value"));
    assertEquals(ResultRecord.of(TextNode.valueOf("q1"), a, true), o);
    assertFalse(record(null, Answer.failed("line 3 (id \"q1\"): response_format: unsupported keyword", 0)).has("value"),
        "a line that never ran");
  }
}
