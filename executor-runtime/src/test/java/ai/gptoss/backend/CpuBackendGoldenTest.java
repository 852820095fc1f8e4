package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pure-Java forward pass against transformers float32 on tiny-a (shared/golden/tiny-a.golden.json). */
class CpuBackendGoldenTest {
  static ModelWeights weights;
  static JsonNode golden;

  @BeforeAll
  static void load() {
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      weights = ModelWeights.load(ckpt);
    }
    golden = Golden.json("tiny-a.golden.json");
  }

  @Test
  void lastLogitsAndTeacherForcedTop1MatchTransformers() {
    GoldenAssertions.lastLogitsAndTop1("tiny-a", golden, () -> new CpuBackend(weights), false);
  }

  @Test
  void perLayerHiddenStatesOfLen17MatchTransformers() {
    JsonNode cs = null;
    for (JsonNode c : golden.get("cases")) if (c.has("hidden_states_last_token")) cs = c;
    assertTrue(cs != null, "no case with hidden_states_last_token in tiny-a.golden.json");
    int[] ids = Golden.ints(cs.get("input_ids"));
    assertEquals(17, ids.length);
    JsonNode ref = cs.get("hidden_states_last_token");
    int layers = weights.config.numHiddenLayers(), hid = weights.config.hiddenSize();
    assertEquals(layers + 1, ref.size());
    float[][] seen = new float[layers + 1][];
    try (CpuBackend b = new CpuBackend(weights)) {
      b.setResidualProbe((layer, x) -> seen[layer] = java.util.Arrays.copyOfRange(x, (ids.length - 1) * hid, ids.length * hid));
      new SingleSequence(b, ids.length).feed(ids, false, SamplingParams.greedy());
    }
    // transformers' last entry has the final RMSNorm applied already.
    float[] last = seen[layers];
    float ss = 0;
    for (float v : last) ss += v * v;
    float inv = (float) (1.0 / Math.sqrt(ss / hid + weights.config.rmsNormEps()));
    float[] normed = new float[hid];
    for (int i = 0; i < hid; i++) normed[i] = weights.norm[i] * (last[i] * inv);
    seen[layers] = normed;
    for (int l = 0; l <= layers; l++) {
      float[] r = Golden.floats(ref.get(l));
      double maxDiff = 0;
      for (int i = 0; i < hid; i++) maxDiff = Math.max(maxDiff, Math.abs(r[i] - seen[l][i]));
      System.out.printf("tiny-a len17 hidden state %d: max abs diff %.2e%n", l, maxDiff);
      assertTrue(maxDiff < 1e-3, "hidden state " + l + " max diff " + maxDiff);
    }
  }

  @Test
  void greedyIdsMatchUpToFirstSmallMargin() {
    GoldenAssertions.greedyIdsUpToFirstSmallMargin("tiny-a", golden, () -> new CpuBackend(weights));
  }
}
