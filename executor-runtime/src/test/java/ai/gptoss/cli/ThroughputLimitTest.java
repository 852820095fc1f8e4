package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.backend.cuda.SyntheticModels;
import ai.gptoss.model.ModelConfig;
import org.junit.jupiter.api.Test;

/** The limit model against figures worked out by hand for gpt-oss-20b's shapes. */
class ThroughputLimitTest {
  private final ModelConfig c = SyntheticModels.config("synthetic:gpt-oss-20b");

  @Test
  void oneSingleStreamDecodeStepReadsDenseWeightsFourExpertsAndTheKeysOfItsContext() {
    // 1 prompt of 1,024 tokens, 2 output tokens: one decode step, at context 1,025.
    ThroughputLimit l = ThroughputLimit.of(c, 1, 1024, 2, 2, 1e12, 1e15);
    long dense = 2L * (24L * (2880 * 5120 + 4096 * 2880 + 2880 * 32) + 2880L * 201088); // bf16 qkv, o, router, unembedding
    double experts = 24.0 * 4 * 3 * 2880 * 2880 * 17 / 32; // 4 experts' gate_up + down per layer, MXFP4
    long kv = (12L * 1025 + 12L * 128) * 2 * 512 * 2; // full layers: whole context; sliding: the window
    assertEquals(dense + experts + kv, l.decodeBytes(), 1.0);
    assertEquals((dense + experts + kv) / 1e12, l.decodeSeconds(), 1e-12);
  }

  @Test
  void prefillFlopsCountProjectionsExpertsAttentionAndOneUnembeddingPerPrompt() {
    ThroughputLimit l = ThroughputLimit.of(c, 1, 3, 1, 2, 1e12, 1e15);
    assertEquals(19_328_679_936.0, l.prefillFlops(), 1.0); // worked out by hand for positions 0..2
    assertEquals(0, l.decodeSeconds());
  }

  @Test
  void theIssueTargetRunIsNearFortyThousandOutputTokensPerSecondOnAnH100() {
    // Ceilings as measured on an H100 80GB HBM3 (copy 3,013 GB/s, bf16 803 TFLOP/s).
    ThroughputLimit l = ThroughputLimit.of(c, 1024, 1024, 1024, 2, 3013e9, 803e12);
    assertEquals(39_473, l.outputTokensPerSecond(), 5);
  }
}
