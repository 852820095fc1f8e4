package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Proves the float64 reference itself: it reproduces transformers on tiny-a before judging any backend. */
class NaiveGptOssGoldenTest {
  @Test
  void matchesTransformersOnTinyA() {
    ModelWeights weights;
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      weights = ModelWeights.load(ckpt);
    }
    NaiveGptOss naive = new NaiveGptOss(weights);
    JsonNode golden = Golden.json("tiny-a.golden.json");
    assertEquals(5, golden.get("cases").size());
    for (JsonNode cs : golden.get("cases")) {
      int[] ids = Golden.ints(cs.get("input_ids"));
      double[][] logits = naive.logits(ids);
      float[] ref = Golden.floats(cs.get("last_logits"));
      assertEquals(ref.length, logits[ids.length - 1].length);
      double maxDiff = 0;
      for (int i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - logits[ids.length - 1][i]));
      assertTrue(maxDiff < 1e-4, cs.get("name") + ": last_logits max diff " + maxDiff);
      for (int p = 0; p < ids.length; p++) {
        assertEquals(cs.get("top5_ids").get(p).get(0).asInt(), argmax(logits[p]), cs.get("name") + ": top-1 at " + p);
      }
    }
  }

  static int argmax(double[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
    return best;
  }
}
