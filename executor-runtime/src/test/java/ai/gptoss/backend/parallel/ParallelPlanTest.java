package ai.gptoss.backend.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.backend.Backends;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.parallel.ParallelPlan.Range;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelShapes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which part each rank owns, and the errors for sizes that do not split. */
class ParallelPlanTest {
  static final ModelConfig TINY_A = ModelShapes.tinyA().build(); // 4/2 heads, 8 experts, width 64 = 2 blocks
  static final ModelConfig GPT_OSS_120B = ModelShapes.gptOss20b(36).experts(128, 4).build(); // 64/8 heads, width 2880

  @Test
  void headsKvHeadsExpertsAndVocabPerRank() {
    ParallelPlan tp2 = new ParallelPlan(2, false);
    assertEquals(new Range(2, 4), tp2.heads(TINY_A, 1));
    assertEquals(new Range(1, 2), tp2.kvHeads(TINY_A, 1));
    assertEquals(new Range(1, 2), tp2.intermediateBlocks(TINY_A, 1));
    assertEquals(new Range(0, 8), tp2.experts(TINY_A, 1));
    assertEquals(new Range(512, 1024), tp2.vocab(TINY_A, 1));
    ParallelPlan ep4 = new ParallelPlan(4, true);
    // 4 ranks over 2 K/V heads: each rank's one query head reads one K/V head, held by 2 ranks each.
    assertEquals(new Range(0, 1), ep4.kvHeads(TINY_A, 0));
    assertEquals(new Range(0, 1), ep4.kvHeads(TINY_A, 1));
    assertEquals(new Range(1, 2), ep4.kvHeads(TINY_A, 2));
    assertEquals(new Range(1, 2), ep4.kvHeads(TINY_A, 3));
    assertEquals(new Range(4, 6), ep4.experts(TINY_A, 2));
    assertEquals(new Range(0, 2), ep4.intermediateBlocks(TINY_A, 2));
    assertEquals(2, ep4.ownerOfExpert(TINY_A, 5));
  }

  @Test
  void gptOss120bSplitsOverTwoFourAndEightRanks() {
    for (int n : new int[] {2, 4, 8}) {
      new ParallelPlan(n, false).check(GPT_OSS_120B);
      new ParallelPlan(n, true).check(GPT_OSS_120B);
    }
    // 2880 = 90 MXFP4 blocks: 4 ranks get 22 or 23 whole blocks (vLLM pads to equal shares instead).
    ParallelPlan tp4 = new ParallelPlan(4, false);
    int total = 0;
    for (int r = 0; r < 4; r++) {
      int size = tp4.intermediateBlocks(GPT_OSS_120B, r).size();
      assertTrue(size == 22 || size == 23, "rank " + r + ": " + size);
      total += size;
    }
    assertEquals(90, total);
  }

  @Test
  void sizesThatDoNotSplitAreRefusedNamingTheConfigKey() {
    String heads = assertThrows(IllegalArgumentException.class, () -> new ParallelPlan(3, false).check(TINY_A)).getMessage();
    assertTrue(heads.contains("tensor_parallel_size=3") && heads.contains("num_attention_heads=4"), heads);
    String blocks = assertThrows(IllegalArgumentException.class, () -> new ParallelPlan(4, false).check(TINY_A)).getMessage();
    assertTrue(blocks.contains("intermediate_size=64") && blocks.contains("2 MXFP4 blocks"), blocks);
    ModelConfig sixExperts = ModelShapes.tinyA().experts(6, 2).build();
    String experts = assertThrows(IllegalArgumentException.class, () -> new ParallelPlan(4, true).check(sixExperts)).getMessage();
    assertTrue(experts.contains("expert_parallel") && experts.contains("num_local_experts=6"), experts);
    ModelConfig threeKv = ModelShapes.tinyA().heads(6, 3).build();
    String kv = assertThrows(IllegalArgumentException.class, () -> new ParallelPlan(2, false).check(threeKv)).getMessage();
    assertTrue(kv.contains("num_key_value_heads=3"), kv);
    assertThrows(IllegalArgumentException.class, () -> new ParallelPlan(0, false));
    // through the backend factory, before anything is loaded
    String viaOpen = assertThrows(IllegalArgumentException.class, () -> Backends.open(Golden.dir("tiny-a"), "cpu", null,
        KvCacheDtype.AUTO, new ParallelPlan(4, false))).getMessage();
    assertTrue(viaOpen.contains("intermediate_size=64"), viaOpen);
  }

  @Test
  void onCudaAPlanThatDoesNotSplitTheModelFailsBeforeAnyGpuIsTouched() {
    String msg = assertThrows(IllegalArgumentException.class, () -> Backends.open(Golden.dir("tiny-a"), "cuda:0,0,0,0",
        Precision.EXACT, KvCacheDtype.AUTO, new ParallelPlan(4, false))).getMessage();
    assertTrue(msg.contains("tensor_parallel_size=4") && msg.contains("intermediate_size=64"), msg);
    String synthetic = assertThrows(IllegalArgumentException.class, () -> Backends.open(
        java.nio.file.Path.of("synthetic:gpt-oss-20b"), "cuda:0", Precision.EXACT, KvCacheDtype.AUTO,
        new ParallelPlan(2, false))).getMessage();
    assertTrue(synthetic.contains("synthetic models are not split"), synthetic);
  }

  @Test
  void rankConfigHasTheRanksShapesAndKeepsTheRest() {
    ModelConfig tp2 = new ParallelPlan(2, false).rankConfig(TINY_A, 1);
    assertEquals(List.of(2, 1, 32, 8), List.of(tp2.numAttentionHeads(), tp2.numKeyValueHeads(), tp2.intermediateSize(),
        tp2.numLocalExperts()));
    // 4 ranks over 2 K/V heads: each rank's one K/V head; expert parallel keeps the whole width
    ModelConfig ep4 = new ParallelPlan(4, true).rankConfig(TINY_A, 3);
    assertEquals(List.of(1, 1, 64, 8), List.of(ep4.numAttentionHeads(), ep4.numKeyValueHeads(), ep4.intermediateSize(),
        ep4.numLocalExperts()));
    assertEquals(TINY_A.vocabSize(), ep4.vocabSize());
    assertEquals(TINY_A.layerTypes(), ep4.layerTypes());
    assertEquals(TINY_A, ParallelPlan.SINGLE.rankConfig(TINY_A, 0));
  }
}
