package ai.gptoss.backend.cuda;

import ai.gptoss.backend.TokenMask;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which slot of the device's mask table holds which {@link TokenMask}: a mask is uploaded the first
 * time a step uses it and stays resident, least recently used evicted when a step needs its slot (a
 * mask the same step uses is never evicted). Host-side bookkeeping only ({@link DeviceMasks} does the
 * copies), so it is tested without a GPU.
 */
final class MaskSlots {
  /** One mask to copy into a slot before the step. */
  record Upload(int slot, TokenMask mask) {}

  /** A step's slots: per output row (-1: unconstrained) and the uploads they need. */
  record Plan(int[] rowSlots, List<Upload> uploads) {}

  private int capacity;
  private final LinkedHashMap<Long, Integer> resident = new LinkedHashMap<>(64, 0.75f, true); // mask id -> slot
  private final ArrayDeque<Integer> free = new ArrayDeque<>();

  MaskSlots(int capacity) {
    reset(capacity);
  }

  /** Forgets every resident mask (the table was reallocated with {@code capacity} slots). */
  void reset(int capacity) {
    this.capacity = capacity;
    resident.clear();
    free.clear();
    for (int s = 0; s < capacity; s++) free.add(s);
  }

  int capacity() {
    return capacity;
  }

  /** Distinct masks among {@code masks} (null entries ignored). */
  static int distinct(TokenMask[] masks) {
    java.util.HashSet<Long> ids = new java.util.HashSet<>();
    for (TokenMask m : masks) if (m != null) ids.add(m.id());
    return ids.size();
  }

  /**
   * The slots of a step's row masks; null when the step needs more distinct masks than the table
   * holds (the caller grows the table and {@link #reset}s).
   */
  Plan plan(TokenMask[] masks) {
    if (distinct(masks) > capacity) return null;
    int[] rowSlots = new int[masks.length];
    List<Upload> uploads = new ArrayList<>();
    Map<Long, Integer> thisStep = new HashMap<>();
    for (int r = 0; r < masks.length; r++) {
      TokenMask m = masks[r];
      if (m == null) {
        rowSlots[r] = -1;
        continue;
      }
      Integer slot = thisStep.get(m.id());
      if (slot == null) {
        slot = resident.get(m.id()); // touches: most recently used
        if (slot == null) {
          slot = free.isEmpty() ? evict(thisStep) : free.poll();
          resident.put(m.id(), slot);
          uploads.add(new Upload(slot, m));
        }
        thisStep.put(m.id(), slot);
      }
      rowSlots[r] = slot;
    }
    return new Plan(rowSlots, uploads);
  }

  /** Frees the least recently used slot that this step does not use. */
  private int evict(Map<Long, Integer> thisStep) {
    for (Iterator<Map.Entry<Long, Integer>> it = resident.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Integer> e = it.next();
      if (!thisStep.containsKey(e.getKey())) {
        it.remove();
        return e.getValue();
      }
    }
    throw new IllegalStateException("no slot to evict: " + capacity + " slots, all used by this step");
  }
}
