package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.TokenMask;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Slot bookkeeping of the device's token-mask table, and the metadata section that carries the slots. */
class MaskSlotsTest {
  static TokenMask mask(int allowed) {
    long[] bits = new long[TokenMask.words(100)];
    bits[allowed >>> 6] |= 1L << allowed;
    return new TokenMask(bits, 100);
  }

  @Test
  void aMaskIsUploadedOnceAndKeepsItsSlot() {
    MaskSlots s = new MaskSlots(4);
    TokenMask a = mask(1), b = mask(2);
    MaskSlots.Plan p1 = s.plan(new TokenMask[] {a, null, a, b});
    assertEquals(2, p1.uploads().size());
    assertEquals(-1, p1.rowSlots()[1]);
    assertEquals(p1.rowSlots()[0], p1.rowSlots()[2]);
    assertNotEquals(p1.rowSlots()[0], p1.rowSlots()[3]);
    MaskSlots.Plan p2 = s.plan(new TokenMask[] {b, a});
    assertTrue(p2.uploads().isEmpty());
    assertEquals(p1.rowSlots()[3], p2.rowSlots()[0]);
  }

  @Test
  void evictionNeverTakesASlotTheStepUsesAndSlotsStayConsistent() {
    Random rnd = new Random(3);
    TokenMask[] pool = new TokenMask[20];
    for (int i = 0; i < pool.length; i++) pool[i] = mask(i);
    MaskSlots s = new MaskSlots(6);
    Map<Integer, Long> onDevice = new HashMap<>(); // slot -> mask id, as the uploads leave it
    for (int step = 0; step < 500; step++) {
      TokenMask[] rows = new TokenMask[8];
      for (int r = 0; r < rows.length; r++) rows[r] = rnd.nextInt(4) == 0 ? null : pool[rnd.nextInt(6 + step % 14)];
      MaskSlots.Plan p = s.plan(rows);
      if (MaskSlots.distinct(rows) > 6) {
        assertNull(p);
        continue;
      }
      for (MaskSlots.Upload u : p.uploads()) onDevice.put(u.slot(), u.mask().id());
      for (int r = 0; r < rows.length; r++) {
        if (rows[r] == null) assertEquals(-1, p.rowSlots()[r]);
        else assertEquals(rows[r].id(), onDevice.get(p.rowSlots()[r]), "step " + step + " row " + r);
      }
    }
  }

  @Test
  void metadataCarriesTheSlotsAndTheirPresenceIsPartOfTheLayout() {
    SamplingParams[] sp = {SamplingParams.greedy(), SamplingParams.greedy()};
    StepBatch b = new StepBatch(new int[] {1, 2}, new int[] {5, 9}, new int[] {0, 1, 2}, new int[][] {{0}, {1}}, new int[][] {{0}, {1}},
        new int[] {0, 1}, sp, false);
    StepMetadata plain = new StepMetadata(b, 100, 2, 8, 8, false);
    StepMetadata masked = new StepMetadata(b, 100, 2, 8, 8, false, new int[] {-1, 3}, 0x1000);
    assertEquals(-1, plain.offMaskSlots);
    assertEquals(0, plain.maskTable);
    assertEquals(0x1000, masked.maskTable);
    assertArrayEquals(new int[] {-1, 3}, Arrays.copyOfRange(masked.data, masked.offMaskSlots, masked.offMaskSlots + 2));
    assertEquals(plain.length + 2, masked.length);
    assertTrue(!Arrays.equals(plain.layout(), masked.layout()), "a masked step never replays an unmasked graph");
  }
}
