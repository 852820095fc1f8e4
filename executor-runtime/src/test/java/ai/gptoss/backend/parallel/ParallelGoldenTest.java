package ai.gptoss.backend.parallel;

import ai.gptoss.Golden;
import ai.gptoss.backend.Backend;
import ai.gptoss.backend.GoldenAssertions;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU twin of a multi-GPU engine reproduces the golden fixtures with 2 and 4 ranks, tensor and expert parallel,
 * under the same assertions as the single-rank pure-Java backend ({@link GoldenAssertions}): tiny-a (4 query heads
 * over 2 K/V heads, 8 experts, expert width 64 = 2 MXFP4 blocks) and tiny-b (8 query heads over 1 K/V head, so K/V
 * heads are replicated; 16 experts).
 */
class ParallelGoldenTest {
  static Stream<ParallelPlan> tinyAPlans() {
    // tensor parallel 4 does not split tiny-a's 2 blocks of expert width (ParallelPlanTest); expert parallel does.
    return Stream.of(new ParallelPlan(2, false), new ParallelPlan(2, true), new ParallelPlan(4, true));
  }

  static Stream<ParallelPlan> tinyBPlans() {
    return Stream.of(new ParallelPlan(2, false), new ParallelPlan(2, true), new ParallelPlan(4, true),
        new ParallelPlan(8, true));
  }

  static Supplier<Backend> twin(String fixture, ParallelPlan plan) {
    return () -> {
      try (Checkpoint ckpt = Checkpoint.open(Golden.dir(fixture))) {
        return ParallelCpuBackend.load(ckpt, plan, 64L << 20, KvCacheDtype.AUTO);
      }
    };
  }

  @ParameterizedTest
  @MethodSource("tinyAPlans")
  void tinyALastLogitsAndTeacherForcedTop1MatchTransformers(ParallelPlan plan) {
    GoldenAssertions.lastLogitsAndTop1("tiny-a " + plan.label(), Golden.json("tiny-a.golden.json"), twin("tiny-a", plan),
        false);
  }

  @ParameterizedTest
  @MethodSource("tinyAPlans")
  void tinyAGreedyIdsMatchUpToFirstSmallMargin(ParallelPlan plan) {
    JsonNode golden = Golden.json("tiny-a.golden.json");
    GoldenAssertions.greedyIdsUpToFirstSmallMargin("tiny-a " + plan.label(), golden, twin("tiny-a", plan));
  }

  @ParameterizedTest
  @MethodSource("tinyAPlans")
  void tinyAPerLayerHiddenStatesOfLen17MatchTransformers(ParallelPlan plan) {
    ModelConfig c;
    float[] norm;
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      c = ckpt.config();
      norm = ckpt.readFloats("model.norm.weight", c.hiddenSize());
    }
    GoldenAssertions.hiddenStatesOfLen17("tiny-a " + plan.label(), Golden.json("tiny-a.golden.json"), c, norm, probe -> {
      ParallelCpuBackend b = (ParallelCpuBackend) twin("tiny-a", plan).get();
      b.setResidualProbe(probe);
      return b;
    });
  }

  @ParameterizedTest
  @MethodSource("tinyBPlans")
  void tinyBLastLogitsAndTeacherForcedTop1MatchTransformers(ParallelPlan plan) {
    GoldenAssertions.lastLogitsAndTop1("tiny-b " + plan.label(), Golden.json("tiny-b.golden.json"), twin("tiny-b", plan),
        true);
  }
}
