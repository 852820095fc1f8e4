package ai.gptoss.spark.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.batch.Answer;
import ai.gptoss.batch.ResultRecord;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.structured.ResponseFormat;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code value} of spark-generate records for lines with a response_format. */
class RecordValuesTest {
  private static final ResponseFormat POINT = ResponseFormat.parse("{\"type\": \"object\", \"properties\": {\"x\": {\"type\":"
      + " \"integer\"}, \"y\": {\"type\": \"integer\"}}, \"required\": [\"x\", \"y\"]}");

  private static GenerationRequest request(ResponseFormat f, int maxNewTokens) {
    return new GenerationRequest("r", new int[] {1, 2}, maxNewTokens, List.of(200002), SamplingParams.greedy(), f);
  }

  private static Answer answer(String finalText, String finishReason, String error) {
    return new Answer(finalText, null, null, finishReason, 2, 5, 0, new int[] {7, 8}, error);
  }

  private static ObjectNode record(GenerationRequest r, Answer a) {
    ObjectNode o = ResultRecord.of(TextNode.valueOf("q1"), a, true);
    new RecordValues().add(o, "line 3 (id \"q1\")", r, a);
    return o;
  }

  @Test
  void aCompletedAnswerIsItsJsonValue() {
    ObjectNode o = record(request(POINT, 64), answer("{\"x\":1,\"y\":-2}", "stop", null));
    assertEquals("{\"x\":1,\"y\":-2}", o.get("value").toString());
    assertEquals("stop", o.get("finish_reason").textValue());
    assertEquals(true, o.get("error").isNull());
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
  void aValueOfAnotherShapeIsNullWithTheReason() {
    ObjectNode o = record(request(POINT, 64), answer("{\"x\":1}", "stop", null));
    assertEquals(true, o.get("value").isNull());
    assertEquals("line 3 (id \"q1\"): response_format: the answer does not match the schema at $.y: the required property "
        + "is missing", o.get("error").textValue());
  }

  @Test
  void linesWithoutAResponseFormatKeepTheirRecord() {
    Answer a = answer("13", "stop", null);
    ObjectNode o = record(request(null, 64), a);
    assertFalse(o.has("value"));
    assertEquals(ResultRecord.of(TextNode.valueOf("q1"), a, true), o);
  }
}
