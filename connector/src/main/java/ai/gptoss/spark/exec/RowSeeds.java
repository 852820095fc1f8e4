package ai.gptoss.spark.exec;

import java.util.HashMap;
import java.util.Map;

/**
 * Per-row sampling seeds that depend only on the global seed, the row's prompt ids and how many times
 * the same prompt came before it in the partition. A retried task reads its partition in the same
 * order, so each of its rows gets the same seed again, whichever executor runs it and whatever else
 * shares the engine's batch; identical prompts in one partition still get different samples.
 */
public final class RowSeeds {
  private final long globalSeed;
  private final Map<Long, Integer> occurrences = new HashMap<>();

  public RowSeeds(long globalSeed) {
    this.globalSeed = globalSeed;
  }

  /** The seed of the next row whose prompt is {@code ids}. */
  public long next(int[] ids) {
    long h = contentHash(ids);
    int occurrence = occurrences.merge(h, 1, Integer::sum) - 1;
    return seed(globalSeed, h, occurrence);
  }

  static long seed(long globalSeed, long contentHash, int occurrence) {
    return mix(mix(globalSeed ^ 0x9E3779B97F4A7C15L) ^ contentHash ^ mix(occurrence + 0x632BE59BD9B4E019L));
  }

  static long contentHash(int[] ids) {
    long h = 0xCBF29CE484222325L ^ ids.length;
    for (int id : ids) h = mix(h ^ (id & 0xFFFFFFFFL)) * 31 + 7;
    return h;
  }

  /** splitmix64's finalizer. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
