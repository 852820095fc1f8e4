package ai.gptoss.backend;

import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tiny-qa eval (transformers' greedy ids, every top-2 margin above 14) submitted all at once to
 * the engine, so that prompts are chunked and decoded in mixed continuous batches: any backend must
 * reproduce every case exactly. Used by the CPU test and by the GPU conformance suite.
 */
public final class EngineEval {
  private EngineEval() {}

  /** Returns the ids of the cases that differ (empty when all match). */
  public static List<Integer> mismatches(Backend b, JsonNode eval, int maxTokensPerStep, int limit) {
    List<GenerationRequest> reqs = new ArrayList<>();
    List<int[]> want = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    for (JsonNode cs : eval.get("results")) {
      if (reqs.size() == limit) break;
      int[] prompt = ints(cs.get("prompt_ids"));
      int[] greedy = ints(cs.get("greedy_ids"));
      reqs.add(GenerationRequest.greedy(String.valueOf(cs.get("id").asInt()), prompt, greedy.length, List.of(200002)));
      want.add(greedy);
      ids.add(cs.get("id").asInt());
    }
    List<Integer> bad = new ArrayList<>();
    try (Engine e = Engine.start(b, EngineConfig.defaults().withMaxTokensPerStep(maxTokensPerStep)
        .withPrefillChunkSize(Math.min(maxTokensPerStep, 48)))) {
      List<RequestHandle> hs = e.submitAll(reqs);
      for (int i = 0; i < hs.size(); i++) {
        GenerationResult r = hs.get(i).result().join();
        if (!Arrays.equals(r.outputIds(), want.get(i))) bad.add(ids.get(i));
      }
    }
    return bad;
  }

  private static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
    return out;
  }
}
