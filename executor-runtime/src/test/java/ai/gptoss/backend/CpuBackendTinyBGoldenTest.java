package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * The pure-Java forward pass against transformers float32 on tiny-b, a fixture unlike tiny-a
 * (made on the GPU machine with shared/device/reference_fixture.py, seed 11): 8 query heads over a
 * single KV head of 32, 16 experts top-2, expert width 64 narrower than hidden 128, 3 layers,
 * sliding window 4, vocabulary 512.
 */
class CpuBackendTinyBGoldenTest {
  @Test
  void lastLogitsAndTeacherForcedTop1MatchTransformers() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-b"))) {
      w = ModelWeights.load(ckpt);
    }
    assertEquals(1, w.config.numKeyValueHeads());
    assertEquals(4, w.config.slidingWindow());
    JsonNode golden = Golden.json("tiny-b.golden.json");
    assertEquals(5, golden.get("cases").size());
    for (JsonNode cs : golden.get("cases")) {
      int[] ids = Golden.ints(cs.get("input_ids"));
      try (CpuBackend b = new CpuBackend(w)) {
        float[][] logits = new SingleSequence(b, ids.length + 1).feed(ids, true, SamplingParams.greedy()).logits();
        float[] ref = Golden.floats(cs.get("last_logits"));
        float[] last = logits[ids.length - 1];
        double maxDiff = 0;
        for (int i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - last[i]));
        assertTrue(maxDiff < 1e-3, cs.get("name") + ": last_logits max diff " + maxDiff);
        for (int p = 0; p < ids.length; p++) {
          JsonNode top = cs.get("top5_logits").get(p);
          if (top.get(0).asDouble() - top.get(1).asDouble() < 1e-4) continue; // a float32 tie
          assertEquals(cs.get("top5_ids").get(p).get(0).asInt(), Sampler.argmax(logits[p]),
              cs.get("name") + ": top-1 at position " + p);
        }
      }
    }
  }
}
