package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.ModelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The checks of a backend against transformers float32 on a golden fixture (tiny-a.golden.json, tiny-b.golden.json),
 * shared by the pure-Java backend's tests and its multi-rank twin's: last logits within 1e-3, every teacher-forced
 * top-1, greedy ids up to the first near-tie, the per-layer hidden states of the 17-token case.
 */
public final class GoldenAssertions {
  /** Logits closer than this are a float32 tie, which either answer may take (tiny-b has some). */
  public static final double TIE = 1e-4;

  private GoldenAssertions() {}

  /**
   * Every case's last logits within 1e-3 of transformers' and its teacher-forced top-1 at every position (skipping
   * ties closer than {@link #TIE} when {@code skipTies}), each case on a fresh backend.
   */
  public static void lastLogitsAndTop1(String label, JsonNode golden, Supplier<Backend> backends, boolean skipTies) {
    assertEquals(5, golden.get("cases").size());
    for (JsonNode cs : golden.get("cases")) {
      int[] ids = Golden.ints(cs.get("input_ids"));
      try (Backend b = backends.get()) {
        float[][] logits = new SingleSequence(b, ids.length + 1).feed(ids, true, SamplingParams.greedy()).logits();
        float[] ref = Golden.floats(cs.get("last_logits"));
        float[] last = logits[ids.length - 1];
        double maxDiff = 0;
        for (int i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - last[i]));
        System.out.printf("%s %s: last_logits max abs diff %.2e%n", label, cs.get("name").asText(), maxDiff);
        assertTrue(maxDiff < 1e-3, label + " " + cs.get("name") + ": last_logits max diff " + maxDiff);
        for (int p = 0; p < ids.length; p++) {
          if (skipTies && tie(cs.get("top5_logits").get(p))) continue;
          assertEquals(cs.get("top5_ids").get(p).get(0).asInt(), Sampler.argmax(logits[p]),
              label + " " + cs.get("name") + ": top-1 at position " + p);
        }
      }
    }
  }

  private static boolean tie(JsonNode top5) {
    return top5.get(0).asDouble() - top5.get(1).asDouble() < TIE;
  }

  /** Every case's greedy ids equal transformers' up to the first top-2 margin below 1e-3. */
  public static void greedyIdsUpToFirstSmallMargin(String label, JsonNode golden, Supplier<Backend> backends) {
    for (JsonNode cs : golden.get("cases")) {
      int[] ids = Golden.ints(cs.get("input_ids"));
      int[] ref = Golden.ints(cs.get("greedy_ids"));
      float[] margin = Golden.floats(cs.get("greedy_top2_margin"));
      try (Backend b = backends.get()) {
        List<Integer> out = new SingleSequence(b, ids.length + ref.length + 1)
            .generate(ids, ref.length, SamplingParams.greedy(), List.of());
        for (int i = 0; i < ref.length && margin[i] >= 1e-3; i++) {
          assertEquals(ref[i], out.get(i), label + " " + cs.get("name") + ": greedy token " + i);
        }
      }
    }
  }

  /**
   * The residual stream of the last token of the 17-token case after the embedding and after each layer (the last
   * one RMSNormed, as transformers reports it) within 1e-3 of transformers'. {@code backends} opens a backend that
   * reports its residual stream to the given probe.
   */
  public static void hiddenStatesOfLen17(String label, JsonNode golden, ModelConfig c, float[] finalNorm,
      Function<CpuBackend.ResidualProbe, Backend> backends) {
    JsonNode cs = null;
    for (JsonNode k : golden.get("cases")) if (k.has("hidden_states_last_token")) cs = k;
    assertTrue(cs != null, "no case with hidden_states_last_token in the fixture");
    int[] ids = Golden.ints(cs.get("input_ids"));
    assertEquals(17, ids.length);
    JsonNode ref = cs.get("hidden_states_last_token");
    int layers = c.numHiddenLayers(), hid = c.hiddenSize();
    assertEquals(layers + 1, ref.size());
    float[][] seen = new float[layers + 1][];
    try (Backend b = backends.apply((layer, x) -> seen[layer] = Arrays.copyOfRange(x, (ids.length - 1) * hid, ids.length * hid))) {
      new SingleSequence(b, ids.length).feed(ids, false, SamplingParams.greedy());
    }
    // transformers' last entry has the final RMSNorm applied already.
    float[] last = seen[layers];
    float ss = 0;
    for (float v : last) ss += v * v;
    float inv = (float) (1.0 / Math.sqrt(ss / hid + c.rmsNormEps()));
    float[] normed = new float[hid];
    for (int i = 0; i < hid; i++) normed[i] = finalNorm[i] * (last[i] * inv);
    seen[layers] = normed;
    for (int l = 0; l <= layers; l++) {
      float[] r = Golden.floats(ref.get(l));
      double maxDiff = 0;
      for (int i = 0; i < hid; i++) maxDiff = Math.max(maxDiff, Math.abs(r[i] - seen[l][i]));
      System.out.printf("%s len17 hidden state %d: max abs diff %.2e%n", label, l, maxDiff);
      assertTrue(maxDiff < 1e-3, label + " hidden state " + l + " max diff " + maxDiff);
    }
  }
}
