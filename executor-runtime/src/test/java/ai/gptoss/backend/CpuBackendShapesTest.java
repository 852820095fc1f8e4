package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.DType;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelShapes;
import ai.gptoss.model.ModelWeights;
import ai.gptoss.model.SyntheticCheckpointWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU backend against the float64 {@link NaiveGptOss} on synthetic models whose shapes differ from
 * tiny-a (head counts and sizes, expert counts and top-k, layer-type patterns, windows, dense dtypes),
 * with the prompt fed whole (prefill) and then again in pieces (prefill + decode), since a bug in one
 * path only is the classic gpt-oss failure.
 */
class CpuBackendShapesTest {
  @TempDir static Path tmp;

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of("8q/1kv heads of 32, 16 experts top-2, full/sliding/full, window 4", ModelShapes.tinyA()
            .vocab(384).hidden(64).intermediate(96).heads(8, 1).headDim(32).experts(16, 2).slidingWindow(4)
            .layerTypes(ModelConfig.FULL, ModelConfig.SLIDING, ModelConfig.FULL).build(), DType.BF16, 23),
        Arguments.of("6q/3kv heads of 16, 5 experts top-3, sliding x2 then full then sliding, window 6, F32",
            ModelShapes.tinyA().vocab(500).hidden(96).intermediate(32).heads(6, 3).headDim(16).experts(5, 3)
                .slidingWindow(6).layerTypes(ModelConfig.SLIDING, ModelConfig.SLIDING, ModelConfig.FULL,
                    ModelConfig.SLIDING).build(), DType.F32, 30),
        Arguments.of("2 heads of 64 (MHA), 3 experts top-1, window 1, F16", ModelShapes.tinyA().vocab(256).hidden(32)
            .intermediate(64).heads(2, 2).headDim(64).experts(3, 1).slidingWindow(1).layers(2).build(), DType.F16, 12),
        Arguments.of("16q/4kv heads of 8, 32 experts top-4, 5 layers, window 16 > some prompts", ModelShapes.tinyA()
            .vocab(640).hidden(128).intermediate(64).heads(16, 4).headDim(8).experts(32, 4).slidingWindow(16)
            .layers(5).build(), DType.BF16, 21));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void cpuBackendMatchesTheNaiveReference(String name, ModelConfig shape, DType dense, int promptLength) {
    Path dir = new SyntheticCheckpointWriter(shape, promptLength * 31L).denseDType(dense)
        .write(tmp.resolve(name.replaceAll("[^a-zA-Z0-9]+", "_")));
    ModelWeights weights;
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      assertEquals(dense, ckpt.info("model.layers.0.self_attn.q_proj.weight").dtype());
      weights = ModelWeights.load(ckpt);
    }
    int[] ids = new Random(promptLength).ints(promptLength, 0, shape.vocabSize()).toArray();
    NaiveGptOss naive = new NaiveGptOss(weights);
    double[][] ref = naive.logits(ids);
    assertActivationsAreOrderOne(ref, name);

    compareGreedy(weights, naive, ids, name);
    // the whole prompt in one step
    try (CpuBackend b = new CpuBackend(weights)) {
      float[][] got = new SingleSequence(b, promptLength).feed(ids, true, SamplingParams.greedy()).logits();
      compare(ref, got, 0, name + " (one prefill)");
    }
    // a 5-token prefill, then one token per step (the decode path)
    try (CpuBackend b = new CpuBackend(weights)) {
      SingleSequence seq = new SingleSequence(b, promptLength);
      compare(ref, seq.feed(Arrays.copyOf(ids, 5), true, SamplingParams.greedy()).logits(), 0,
          name + " (prefill of 5)");
      for (int p = 5; p < promptLength; p++) {
        compare(ref, seq.feed(new int[] {ids[p]}, true, SamplingParams.greedy()).logits(), p, name + " (decode)");
      }
    }
  }

  /** Greedy generation on the backend against the reference's argmax, up to the first near-tie. */
  private static void compareGreedy(ModelWeights weights, NaiveGptOss naive, int[] prompt, String what) {
    int steps = 8;
    List<Integer> out;
    try (CpuBackend b = new CpuBackend(weights)) {
      out = new SingleSequence(b, prompt.length + steps).generate(prompt, steps, SamplingParams.greedy(), List.of());
    }
    assertEquals(steps, out.size());
    int[] all = IntStream.concat(Arrays.stream(prompt), out.stream().mapToInt(Integer::intValue)).toArray();
    double[][] ref = naive.logits(all);
    for (int i = 0; i < steps; i++) {
      double[] row = ref[prompt.length - 1 + i];
      int best = NaiveGptOssGoldenTest.argmax(row);
      double second = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < row.length; v++) if (v != best) second = Math.max(second, row[v]);
      if (row[best] - second < 1e-3) break; // a near-tie may legitimately go either way in float32
      assertEquals(best, out.get(i), what + ": greedy token " + i);
    }
  }

  /** got[i] are the logits at position first + i. */
  private static void compare(double[][] ref, float[][] got, int first, String what) {
    for (int i = 0; i < got.length; i++) {
      int p = first + i;
      double maxDiff = 0;
      for (int v = 0; v < got[i].length; v++) maxDiff = Math.max(maxDiff, Math.abs(ref[p][v] - got[i][v]));
      assertTrue(maxDiff < 1e-3, what + ": position " + p + " logits differ by " + maxDiff);
      assertEquals(NaiveGptOssGoldenTest.argmax(ref[p]), Sampler.argmax(got[i]), what + ": top-1 at position " + p);
    }
  }

  /** The synthetic weights must give logits of order one, or "agreement" would be vacuous. */
  private static void assertActivationsAreOrderOne(double[][] logits, String what) {
    for (int p = 0; p < logits.length; p++) {
      double ss = 0;
      for (double v : logits[p]) {
        assertTrue(Double.isFinite(v), what + ": non-finite logit at " + p);
        ss += v * v;
      }
      double rms = Math.sqrt(ss / logits[p].length);
      assertTrue(rms > 0.1 && rms < 20, what + ": logit rms " + rms + " at position " + p);
    }
  }
}
