package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.model.ModelConfig;
import org.junit.jupiter.api.Test;

/** The dense expert path's scratch, which the KV budget reserves before the first large step. */
class DenseExpertsTest {
  @Test
  void scratchOfGptOss20bAt8192Tokens() {
    ModelConfig c = SyntheticModels.config("synthetic:gpt-oss-20b");
    long rows = 8192L * 4 * 2880 * 2; // gathered rows, bf16
    long products = 8192L * 4 * 5760 * 4; // gate_up products, float32 (down's fit in the same buffer)
    long weights = 32L * 5760 * 2880 * 2; // one product of every expert, bf16
    long workspaces = DenseExperts.STREAMS * DenseExperts.BLAS_WORKSPACE;
    long fast = DenseExperts.bytes(c, 8192, false);
    assertEquals(DeviceArena.alignedTotal(new long[] {rows, 0, products, weights, workspaces}), fast);
    assertEquals(fast + DeviceArena.aligned(rows), DenseExperts.bytes(c, 8192, true), "the low parts of the rows");
    assertTrue(fast > (3L << 29) && fast < (5L << 29), "between 1.5 and 2.5 GiB: " + fast);
  }
}
