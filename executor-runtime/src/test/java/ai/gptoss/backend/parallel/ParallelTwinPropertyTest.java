package ai.gptoss.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Sampler;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelShapes;
import ai.gptoss.model.ModelWeights;
import ai.gptoss.model.SyntheticCheckpointWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * For random small models and plans (1 to 8 ranks; K/V heads split or replicated; expert widths of 1 to 4 MXFP4
 * blocks, split unevenly where they do not divide; tensor or expert parallel), the twin's logits at every position of
 * a random prompt equal the single-rank backend's within the golden tests' 1e-3, and its greedy choice is the same
 * wherever the single rank's top-2 margin is not a near-tie.
 */
class ParallelTwinPropertyTest {
  @Property(tries = 20)
  void twinEqualsTheSingleRankBackend(@ForAll @IntRange(min = 0, max = 3) int log2Ranks,
      @ForAll @IntRange(min = 0, max = 3) int log2KvHeads, @ForAll @IntRange(min = 0, max = 2) int log2Group,
      @ForAll @IntRange(min = 1, max = 4) int blocks, @ForAll boolean expertParallel,
      @ForAll @IntRange(min = 1, max = 2) int layers, @ForAll @IntRange(min = 0, max = 1_000_000) int seed)
      throws IOException {
    int ranks = 1 << log2Ranks, kvHeads = 1 << log2KvHeads;
    int heads = Math.max(ranks, kvHeads << log2Group); // divisible by the ranks and by the K/V heads
    int experts = 2 * ranks;
    if (!expertParallel) blocks = Math.max(blocks, ranks); // at least one block per rank
    ModelConfig c = ModelShapes.tinyA().vocab(96).hidden(64).intermediate(32 * blocks).heads(heads, kvHeads)
        .headDim(8).experts(experts, Math.min(experts, 3)).layers(layers).slidingWindow(4).build();
    ParallelPlan plan = new ParallelPlan(ranks, expertParallel);
    Path dir = Files.createTempDirectory("twin-property");
    try {
      new SyntheticCheckpointWriter(c, seed).write(dir);
      int[] prompt = new Random(seed).ints(9, 0, c.vocabSize()).toArray();
      float[][] single, twin;
      try (Checkpoint ckpt = Checkpoint.open(dir)) {
        try (CpuBackend b = new CpuBackend(ModelWeights.load(ckpt), 16L << 20, KvCacheDtype.AUTO)) {
          single = new SingleSequence(b, prompt.length).feed(prompt, true, SamplingParams.greedy()).logits();
        }
        try (ParallelCpuBackend b = ParallelCpuBackend.load(ckpt, plan, 16L << 20, KvCacheDtype.AUTO)) {
          twin = new SingleSequence(b, prompt.length).feed(prompt, true, SamplingParams.greedy()).logits();
        }
      }
      for (int p = 0; p < prompt.length; p++) {
        for (int i = 0; i < c.vocabSize(); i++) {
          assertTrue(Math.abs(single[p][i] - twin[p][i]) < 1e-3, plan.label() + " " + c + ": position " + p + " logit "
              + i + ": " + single[p][i] + " vs " + twin[p][i]);
        }
        if (margin(single[p]) >= 1e-3) assertEquals(Sampler.argmax(single[p]), Sampler.argmax(twin[p]), "position " + p);
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (UncheckedIOException ignored) {
        // a temp file left behind is harmless
      }
    }
  }

  private static double margin(float[] logits) {
    float first = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
    for (float v : logits) {
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) {
        second = v;
      }
    }
    return first - second;
  }
}
