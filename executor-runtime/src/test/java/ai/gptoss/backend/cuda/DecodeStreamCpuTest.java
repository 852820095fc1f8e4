package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.Golden;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The premises of {@link GraphCheck}'s decode stream, on the pure-Java backend: its batches (shared
 * interleaved pages, windowed sliding tables) give each sequence what it gets alone, and running a
 * step again gives the same result (so GraphCheck may run each step with graphs off and on).
 */
class DecodeStreamCpuTest {
  @Test
  void batchedStreamMatchesEachSequenceAloneAndStepsRerunIdentically() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      w = ModelWeights.load(ckpt);
    }
    int[] prompts = {5, 17, 3}, news = {12, 4, 9};
    List<List<Integer>> fed = new ArrayList<>();
    List<List<float[]>> logits = new ArrayList<>();
    for (int s = 0; s < prompts.length; s++) {
      fed.add(new ArrayList<>());
      logits.add(new ArrayList<>());
    }
    try (CpuBackend b = new CpuBackend(w)) {
      DecodeStream ds = new DecodeStream(b, prompts, news, 4, 7);
      ds.prefill();
      while (ds.active().length > 0) {
        int[] act = ds.active();
        StepBatch batch = ds.next(true);
        StepResult r1 = b.step(batch), r2 = b.step(batch);
        assertArrayEquals(r1.sampled(), r2.sampled());
        for (int i = 0; i < act.length; i++) {
          assertArrayEquals(r1.logits()[i], r2.logits()[i]);
          fed.get(act[i]).add(batch.tokens()[i]);
          logits.get(act[i]).add(r1.logits()[i]);
        }
        ds.advance(r1.sampled());
      }
      assertEquals(news[0], fed.get(0).size());
    }
    // each sequence alone, fed its prompt (same seed as the stream) and then the same decode tokens
    java.util.Random rnd = new java.util.Random(7);
    int[][] p = new int[prompts.length][];
    for (int s = 0; s < prompts.length; s++) {
      p[s] = new int[prompts[s]];
      for (int i = 0; i < prompts[s]; i++) p[s][i] = rnd.nextInt(Math.min(w.config.vocabSize(), 199990));
    }
    for (int s = 0; s < prompts.length; s++) {
      try (CpuBackend b = new CpuBackend(w)) {
        SingleSequence one = new SingleSequence(b, prompts[s] + news[s] + 1);
        one.feed(p[s], false, ai.gptoss.backend.SamplingParams.greedy());
        for (int i = 0; i < fed.get(s).size(); i++) {
          float[] alone = one.feed(new int[] {fed.get(s).get(i)}, false, ai.gptoss.backend.SamplingParams.greedy()).logits()[0];
          float[] batched = logits.get(s).get(i);
          for (int v = 0; v < alone.length; v++) {
            assertEquals(alone[v], batched[v], 1e-4f * (1 + Math.abs(alone[v])), "sequence " + s + " step " + i + " logit " + v);
          }
        }
      }
    }
  }
}
