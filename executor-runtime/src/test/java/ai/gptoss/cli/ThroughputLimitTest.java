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

  @Test
  void ratioZeroGivesTheFixedLengthLimit() {
    ThroughputLimit fixed = ThroughputLimit.of(c, 1024, 1024, 1024, 1, 3015e9, 786e12);
    ThroughputLimit drawn = ThroughputLimit.of(c, BenchPrompts.Lengths.drawn(1024, 1024, 1024, 0, 1), 1, 3015e9, 786e12);
    assertEquals(fixed.prefillSeconds(), drawn.prefillSeconds(), 0);
    assertEquals(fixed.decodeSeconds(), drawn.decodeSeconds(), 0);
    assertEquals(53_264, drawn.outputTokensPerSecond(), 5); // BENCHMARKS.md: FP8 K/V with the 02:59Z ceilings
  }

  @Test
  void mixedLengthsPrefillEachPromptAndDecodeWithAShrinkingBatch() {
    // Prompt A: 3 tokens in, 3 out (decode steps 1 and 2); prompt B: 1 token in, 2 out (decode step 1 only).
    ThroughputLimit l = ThroughputLimit.of(c, new BenchPrompts.Lengths(new int[] {3, 1}, new int[] {3, 2}), 2, 1e12, 1e15);
    double tokenLayer = 2.0 * ((2880 * 5120 + 4096 * 2880 + 2880 * 32) + 4 * 3 * 2880 * 2880); // 252,334,080
    double unembed = 2.0 * 2880 * 201088;
    double onePromptToken = 24 * tokenLayer + 4 * 64 * 64 * 24 + unembed; // position 0 attends 1 key per layer
    assertEquals(19_328_679_936.0 + onePromptToken, l.prefillFlops(), 1.0); // A as in the test above, plus B
    assertEquals(26_543_357_952.0, l.prefillFlops(), 1.0);
    double dense = 2.0 * (24L * (2880 * 5120 + 4096 * 2880 + 2880 * 32) + 2880L * 201088);
    double expert = 3.0 * 2880 * 2880 * 17 / 32; // one expert's MXFP4 bytes per layer
    double perKey = 2 * 512 * 2; // K and V of 8 heads x 64, bf16
    // Step 1: A at context 4 and B at context 2, 24 keys per layer each side of the window (< 128);
    // experts touched at batch 2: 32 (1 - (28/32)^2) = 7.5.
    double step1 = dense + 24 * 7.5 * expert + (24 * 4 + 24 * 2) * perKey;
    // Step 2: A alone at context 5, 4 experts.
    double step2 = dense + 24 * 4 * expert + 24 * 5 * perKey;
    assertEquals(step1 + step2, l.decodeBytes(), 1.0);
    assertEquals((step1 + step2) / 1e12, l.decodeSeconds(), 1e-12); // bandwidth-bound at these ceilings
    assertEquals(5, l.outputTokens());
    // At a tiny matrix rate every step is bound by its flops: 2 rows, then 1.
    ThroughputLimit slow = ThroughputLimit.of(c, new BenchPrompts.Lengths(new int[] {3, 1}, new int[] {3, 2}), 2, 1e12, 1e6);
    double flops1 = 2 * (24 * tokenLayer + unembed) + 4 * 64 * 64 * (24 * 4 + 24 * 2);
    double flops2 = 24 * tokenLayer + unembed + 4 * 64 * 64 * 24 * 5;
    assertEquals((flops1 + flops2) / 1e6, slow.decodeSeconds(), 1e-6);
  }
}
