package ai.gptoss.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.EngineEval;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The embedded tiny-qa (4 query heads over 2 K/V heads, 8 experts of width 128 = 4 MXFP4 blocks) through the engine
 * on the CPU twin with 2 and 4 ranks, tensor and expert parallel: the tiny-qa eval cases, chunked and continuously
 * batched, give the single-rank backend's greedy ids (transformers', every margin above 14), and the twin's logits
 * equal the single-rank backend's within the golden tests' 1e-3.
 */
class ParallelEngineEvalTest {
  static JsonNode eval;
  static float[][] singleLogits;
  static int[] prompt;

  static Stream<ParallelPlan> plans() {
    return Stream.of(new ParallelPlan(2, false), new ParallelPlan(4, false), new ParallelPlan(2, true),
        new ParallelPlan(4, true));
  }

  @BeforeAll
  static void single() {
    eval = Golden.json("tiny-qa.eval.json");
    prompt = Golden.ints(eval.get("results").get(0).get("prompt_ids"));
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      w = ModelWeights.load(ckpt);
    }
    try (CpuBackend b = new CpuBackend(w, KvCacheDtype.AUTO)) {
      singleLogits = new SingleSequence(b, prompt.length + 1).feed(prompt, true, SamplingParams.greedy()).logits();
    }
  }

  static ParallelCpuBackend twin(ParallelPlan plan) {
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      return ParallelCpuBackend.load(ckpt, plan, 256L << 20, KvCacheDtype.AUTO);
    }
  }

  @ParameterizedTest
  @MethodSource("plans")
  void engineGivesTheSingleRankGreedyIdsAndLogits(ParallelPlan plan) {
    try (ParallelCpuBackend b = twin(plan)) {
      float[][] logits = new SingleSequence(b, prompt.length + 1).feed(prompt, true, SamplingParams.greedy()).logits();
      assertEquals(singleLogits.length, logits.length);
      double maxDiff = 0;
      for (int p = 0; p < logits.length; p++) {
        for (int i = 0; i < logits[p].length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[p][i] - singleLogits[p][i]));
      }
      System.out.printf("tiny-qa %s: logits of %d positions, max abs diff to the single rank %.2e%n", plan.label(),
          logits.length, maxDiff);
      assertTrue(maxDiff < 1e-3, plan.label() + ": max diff " + maxDiff);
      assertEquals(List.of(), EngineEval.mismatches(b, eval, 256, 12), plan.label() + ": cases whose greedy ids differ");
    }
  }
}
