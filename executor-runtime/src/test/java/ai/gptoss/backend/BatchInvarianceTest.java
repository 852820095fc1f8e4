package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import org.junit.jupiter.api.Test;

/**
 * A sequence's logits on the CPU backend are bit-for-bit the same alone and in a batch with others:
 * the property seeded sampling across batch compositions rests on.
 */
class BatchInvarianceTest {
  @Test
  void logitsDoNotDependOnBatchComposition() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      w = ModelWeights.load(ckpt);
    }
    int[] a = {5, 17, 99, 3, 250, 7, 8, 9, 10, 11, 600};
    int[] b = {42, 43};
    float[][] aloneA, aloneB;
    try (CpuBackend be = new CpuBackend(w)) {
      aloneA = new SingleSequence(be, a.length).feed(a, true, SamplingParams.greedy()).logits();
    }
    try (CpuBackend be = new CpuBackend(w)) {
      aloneB = new SingleSequence(be, b.length).feed(b, true, SamplingParams.greedy()).logits();
    }
    try (CpuBackend be = new CpuBackend(w)) {
      be.allocateKvCache(new KvCacheSpec(4, 8, 8));
      int n = a.length + b.length;
      int[] tokens = new int[n], pos = new int[n], rows = new int[n];
      for (int i = 0; i < a.length; i++) {
        tokens[i] = a[i];
        pos[i] = i;
      }
      for (int i = 0; i < b.length; i++) {
        tokens[a.length + i] = b[i];
        pos[a.length + i] = i;
      }
      SamplingParams[] sp = new SamplingParams[n];
      for (int i = 0; i < n; i++) {
        rows[i] = i;
        sp[i] = SamplingParams.greedy();
      }
      // Sequence a uses pages 0..2, sequence b page 5, in both pools.
      int[][] tables = {{0, 1, 2}, {5}};
      StepResult r = be.step(new StepBatch(tokens, pos, new int[] {0, a.length, n}, tables, tables, rows, sp, true));
      for (int i = 0; i < a.length; i++) assertArrayEquals(aloneA[i], r.logits()[i], "sequence a, position " + i);
      for (int i = 0; i < b.length; i++) assertArrayEquals(aloneB[i], r.logits()[a.length + i], "sequence b, position " + i);
    }
  }
}
