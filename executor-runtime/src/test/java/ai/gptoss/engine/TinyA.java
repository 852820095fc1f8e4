package ai.gptoss.engine;

import ai.gptoss.Golden;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The tiny-a golden model and cases, loaded once per test JVM. */
final class TinyA {
  private TinyA() {}

  /** One golden case: prompt, transformers' greedy ids and their top-2 margins. */
  record Case(String name, int[] inputIds, int[] greedyIds, float[] margins) {
    /** How many leading greedy ids are binding: up to the first step whose margin is below 1e-3. */
    int binding() {
      int n = 0;
      while (n < greedyIds.length && margins[n] >= 1e-3) n++;
      return n;
    }
  }

  private static ModelWeights weights;
  private static List<Case> cases;

  static synchronized ModelWeights weights() {
    if (weights == null) {
      try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
        weights = ModelWeights.load(ckpt);
      }
    }
    return weights;
  }

  static synchronized List<Case> cases() {
    if (cases == null) {
      List<Case> out = new ArrayList<>();
      for (JsonNode c : Golden.json("tiny-a.golden.json").get("cases")) {
        out.add(new Case(c.get("name").asText(), Golden.ints(c.get("input_ids")), Golden.ints(c.get("greedy_ids")),
            Golden.floats(c.get("greedy_top2_margin"))));
      }
      if (out.size() != 5) throw new AssertionError("tiny-a.golden.json: expected 5 cases, found " + out.size());
      cases = out;
    }
    return cases;
  }

  static CpuBackend backend() {
    return new CpuBackend(weights());
  }

  private static final java.util.Map<String, int[]> ALONE = new java.util.concurrent.ConcurrentHashMap<>();

  /** A golden case's greedy ids run alone through {@link SingleSequence} (memoized). */
  static int[] aloneGreedy(Case c, int maxNew) {
    return ALONE.computeIfAbsent(c.name() + "/" + maxNew,
        k -> alone(weights(), c.inputIds(), maxNew, SamplingParams.greedy(), List.of())).clone();
  }

  /** The request run alone through {@link SingleSequence}, the simplest driver of the backend. */
  static int[] alone(ModelWeights w, int[] prompt, int maxNew, SamplingParams sp, List<Integer> stops) {
    try (CpuBackend b = new CpuBackend(w)) {
      return new SingleSequence(b, prompt.length + maxNew + 1).generate(prompt, maxNew, sp, stops).stream()
          .mapToInt(Integer::intValue).toArray();
    }
  }
}
