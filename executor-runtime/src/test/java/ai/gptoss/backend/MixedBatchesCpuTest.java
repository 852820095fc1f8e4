package ai.gptoss.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelWeights;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The mixed-batch driver used for CPU-vs-GPU agreement, checked on the reference backend itself:
 * every output row of a random mixed stream (prefill chunks, decode tokens, shuffled pages, freed
 * sliding pages) equals the same sequence fed alone, position by position.
 */
class MixedBatchesCpuTest {
  @Test
  void mixedStepsEqualSingleSequenceOnTinyA() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(Golden.dir("tiny-a"))) {
      w = ModelWeights.load(ckpt);
    }
    MixedBatches.Trace trace;
    try (CpuBackend b = new CpuBackend(w)) {
      trace = MixedBatches.run(b, KvCacheDtype.AUTO, 7, 5, 30, 6, null);
    }
    int rowsChecked = 0;
    for (int s = 0; s < trace.fedTokens().size(); s++) {
      List<Integer> fed = trace.fedTokens().get(s);
      int[] ids = fed.stream().mapToInt(Integer::intValue).toArray();
      float[][] ref;
      try (CpuBackend b = new CpuBackend(w)) {
        ref = new SingleSequence(b, ids.length + 1).feed(ids, true, SamplingParams.greedy()).logits();
      }
      for (int step = 0; step < trace.logits().size(); step++) {
        int[] rs = trace.rowSeq().get(step), rp = trace.rowPos().get(step);
        for (int i = 0; i < rs.length; i++) {
          if (rs[i] != s && rs[i] != -1 - s) continue;
          float[] got = trace.logits().get(step)[i], want = ref[rp[i]];
          double d = 0;
          for (int v = 0; v < want.length; v++) d = Math.max(d, Math.abs(got[v] - want[v]));
          assertTrue(d < 1e-4, "sequence " + s + " position " + rp[i] + ": max logit diff " + d);
          if (rs[i] == s) assertEquals(Sampler.argmax(want), trace.sampled().get(step)[i]);
          rowsChecked++;
        }
      }
    }
    assertTrue(rowsChecked > 30, "only " + rowsChecked + " rows compared");
  }
}
