package ai.gptoss.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.engine.GenerationRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestLineTest {
  static final RequestLine.Defaults DEFAULTS = new RequestLine.Defaults(64, SamplingParams.of(0f, 1f, 0, 5));
  static final List<Integer> STOPS = List.of(7, 8);

  @Test
  void defaultsAndOverrides() {
    RequestLine p = new RequestLine(DEFAULTS, STOPS);
    GenerationRequest r = p.parse("{\"id\": \"x\", \"input_ids\": [1, 2]}", 1).request();
    assertEquals("x", r.id());
    assertArrayEquals(new int[] {1, 2}, r.inputIds());
    assertEquals(64, r.maxNewTokens());
    assertEquals(List.of(7, 8), r.stopTokenIds());
    assertEquals(5, r.sampling().seed());
    r = p.parse("{\"id\": 3, \"input_ids\": [1], \"max_new_tokens\": 9, \"temperature\": 0.5, \"top_p\": 0.8,"
        + " \"top_k\": 4, \"seed\": -12}", 2).request();
    assertEquals("3", r.id());
    assertEquals(9, r.maxNewTokens());
    assertEquals(0.5f, r.sampling().temperature());
    assertEquals(0.8f, r.sampling().topP());
    assertEquals(4, r.sampling().topK());
    assertEquals(-12, r.sampling().seed());
  }

  @Test
  void errorsNameTheLineAndKey() {
    RequestLine p = new RequestLine(DEFAULTS, STOPS);
    assertError(p.parse("{\"input_ids\": [1], \"max_new_tokens\": 0}", 4), "line 4: 'max_new_tokens' must be at least 1");
    assertError(p.parse("{\"input_ids\": [1], \"max_new_tokens\": \"9\"}", 5), "line 5: 'max_new_tokens' must be an integer");
    assertError(p.parse("{\"input_ids\": [1], \"temperature\": \"hot\"}", 6), "line 6: 'temperature' must be a number");
    assertError(p.parse("{\"input_ids\": [1], \"seed\": 1.5}", 7), "line 7: 'seed' must be an integer");
    assertError(p.parse("{\"id\": [1], \"input_ids\": [1]}", 8), "line 8: 'id' must be a string or a number");
    assertError(p.parse("{\"id\": 1}", 9), "line 9 (id 1): no prompt: give one of [input_ids]");
    assertError(p.parse("{\"input_ids\": \"1 2\"}", 10), "line 10: 'input_ids' must be a list of token ids");
    assertError(p.parse("{\"input_ids\": [1, 3000000000]}", 11), "line 11: 'input_ids' [1] is not a token id");
    assertError(p.parse("{", 12), "line 12: not valid JSON");
  }

  @Test
  void promptKindsArePluggable() {
    // How the harmony layer adds "prompt": a function from the key's value to token ids.
    RequestLine p = new RequestLine(DEFAULTS, STOPS).withPromptKind("prompt", (v, line) -> {
      if (!v.isTextual()) throw new IllegalArgumentException("must be a string");
      return v.asText().chars().toArray();
    });
    assertArrayEquals(new int[] {'h', 'i'}, p.parse("{\"prompt\": \"hi\"}", 1).request().inputIds());
    assertError(p.parse("{\"prompt\": 3}", 2), "line 2: 'prompt' must be a string");
    assertError(p.parse("{\"prompt\": \"a\", \"input_ids\": [1]}", 3), "give one");
    assertError(p.parse("{\"messages\": []}", 4), "unknown key 'messages'");
  }

  @Test
  void linesWithoutASeedTakeTheSeedRuleInInputOrder() {
    List<int[]> asked = new java.util.ArrayList<>();
    RequestLine p = new RequestLine(DEFAULTS, STOPS).withSeeds(ids -> {
      asked.add(ids);
      return 1000 + asked.size();
    });
    assertEquals(1001, p.parse("{\"input_ids\": [4]}", 1).request().sampling().seed());
    assertEquals(9, p.parse("{\"input_ids\": [5], \"seed\": 9}", 2).request().sampling().seed());
    assertEquals(1002, p.parse("{\"input_ids\": [6]}", 3).request().sampling().seed());
    assertEquals(2, asked.size());
    assertArrayEquals(new int[] {6}, asked.get(1));
  }

  @Test
  void harmonyKindsRenderAsHarmonyDoesAndNameTheKey() {
    RequestLine p = new RequestLine(DEFAULTS, STOPS).withHarmony(ai.gptoss.harmony.ChatOptions.DEFAULTS);
    assertArrayEquals(ai.gptoss.harmony.Harmony.prompt("What is 2 + 2?"),
        p.parse("{\"prompt\": \"What is 2 + 2?\"}", 1).request().inputIds());
    assertArrayEquals(ai.gptoss.harmony.Harmony.prompt("hi"),
        p.parse("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 2).request().inputIds());
    assertError(p.parse("{\"id\": 7, \"prompt\": \"\"}", 3), "line 3 (id 7): 'prompt' is empty; give the user's message");
    assertError(p.parse("{\"id\": 8, \"prompt\": 3}", 4), "line 4 (id 8): 'prompt' must be a string (a user message)");
    assertError(p.parse("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"reasoning_effort\": \"x\"}", 5),
        "line 5: line.reasoning_effort");
    assertError(p.parse("{\"prompt\": \"hi\", \"max_tokens\": 3}", 6), "line 6: unknown key 'max_tokens' (expected one of "
        + "[input_ids, prompt, messages] and [id, max_new_tokens, temperature, top_p, top_k, seed, response_format, reasoning_effort, "
        + "instructions, date, tools])");
    assertError(p.parse("", 7), "line 7: " + LineErrors.BLANK);
  }

  static void assertError(RequestLine.Parsed parsed, String part) {
    assertNull(parsed.request());
    assertTrue(parsed.error().contains(part), parsed.error() + " lacks " + part);
  }
}
