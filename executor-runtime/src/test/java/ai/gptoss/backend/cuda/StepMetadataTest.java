package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.Sampler;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The one-copy step metadata: sections, attention work items, page-table padding, checks. */
class StepMetadataTest {
  @Test
  void packsSectionsAndSplitsPrefillIntoItems() {
    // sequence 0: 5 prompt tokens; sequence 1: one decode token
    StepBatch b = new StepBatch(new int[] {1, 2, 3, 4, 5, 9}, new int[] {0, 1, 2, 3, 4, 17}, new int[] {0, 5, 6},
        new int[][] {{3}, {0, 7}}, new int[][] {{2}, {-1, 5}}, new int[] {4, 5},
        new SamplingParams[] {SamplingParams.greedy(), new SamplingParams(0.7f, 0.9f, 40, 11L, 3)}, false);
    StepMetadata m = new StepMetadata(b, 100, 2, 8, 8);
    assertEquals(2, m.maxPages);
    assertEquals(3, m.numPrefillItems); // 5 tokens in items of 2
    assertEquals(1, m.numDecodeItems);
    int[] d = m.data;
    assertArrayEquals(new int[] {1, 2, 3, 4, 5, 9}, Arrays.copyOfRange(d, m.offTokens, m.offTokens + 6));
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1}, Arrays.copyOfRange(d, m.offTokenSeq, m.offTokenSeq + 6));
    assertArrayEquals(new int[] {3, -1, 0, 7}, Arrays.copyOfRange(d, m.offFullTable, m.offFullTable + 4));
    assertArrayEquals(new int[] {2, -1, -1, 5}, Arrays.copyOfRange(d, m.offSlidingTable, m.offSlidingTable + 4));
    assertArrayEquals(new int[] {0, 0, 2, 0, 2, 2, 0, 4, 1}, Arrays.copyOfRange(d, m.offPrefillItems, m.offPrefillItems + 9));
    assertArrayEquals(new int[] {1, 5, 1}, Arrays.copyOfRange(d, m.offDecodeItems, m.offDecodeItems + 3));
    assertArrayEquals(new int[] {4, 5}, Arrays.copyOfRange(d, m.offRows, m.offRows + 2));
    assertEquals(0.7f, Float.intBitsToFloat(d[m.offSampling + 4]));
    assertEquals(40f, Float.intBitsToFloat(d[m.offSampling + 6]));
    assertEquals((float) Sampler.uniform(11L, 3), Float.intBitsToFloat(d[m.offSampling + 7]));
    assertEquals(m.offSampling + 8, m.length);
  }

  @Test
  void rejectsPagesOutsideThePoolAndBadTokens() {
    StepBatch pages = new StepBatch(new int[] {1}, new int[] {0}, new int[] {0, 1}, new int[][] {{8}}, new int[][] {{0}},
        new int[] {0}, new SamplingParams[] {SamplingParams.greedy()}, false);
    assertThrows(BackendException.class, () -> new StepMetadata(pages, 100, 2, 8, 8));
    StepBatch token = new StepBatch(new int[] {100}, new int[] {0}, new int[] {0, 1}, new int[][] {{0}}, new int[][] {{0}},
        new int[] {0}, new SamplingParams[] {SamplingParams.greedy()}, false);
    assertThrows(BackendException.class, () -> new StepMetadata(token, 100, 2, 8, 8));
  }

  @Test
  void scalesTransposeToBlockMajor() {
    byte[] src = new byte[2 * 3 * 4]; // [E=2, rows=3, blocks=4]
    for (int i = 0; i < src.length; i++) src[i] = (byte) i;
    byte[] t = DeviceModel.transposeScales(src, 2, 3, 4);
    for (int e = 0; e < 2; e++)
      for (int r = 0; r < 3; r++)
        for (int b = 0; b < 4; b++) assertEquals(src[e * 12 + r * 4 + b], t[e * 12 + b * 3 + r]);
  }
}
