package ai.gptoss.backend.cuda;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.Sampler;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;

/**
 * Everything a step's kernels need besides the weights and the KV pool, flattened into one int
 * array so that it goes to the GPU in one copy. Section offsets are in ints.
 *
 * <p>Attention work items are runs of consecutive tokens of one sequence: single tokens go to the
 * decode kernel, longer runs are cut into items of {@code prefillTile} tokens for the prefill kernel.
 *
 * <p>The counts and offsets ({@link #layout()}) decide every launch of a step; the data only what the
 * kernels read. Steps of equal layout therefore enqueue identical work, which is what lets
 * {@link DecodeGraphs} replay one captured graph for all of them. A new host-side value that changes
 * a launch (a grid size, a branch, an argument) must be added to the layout.
 */
final class StepMetadata {
  final int numTokens, numSeqs, maxPages, numPrefillItems, numDecodeItems, numRows;
  final int offTokens, offPositions, offTokenSeq, offFullTable, offSlidingTable, offPrefillItems, offDecodeItems,
      offRows, offSampling, offMaskSlots, length;
  /** Device address of the token-mask table the mask slots index (0 when no row is constrained). */
  final long maskTable;
  final int[] data;
  final boolean anySampled;

  StepMetadata(StepBatch b, int vocab, int prefillTile, int fullPool, int slidingPool) {
    this(b, vocab, prefillTile, fullPool, slidingPool, false);
  }

  /**
   * With {@code padPages}, the page-table width is rounded up to a power of two (extra entries -1),
   * so that a growing context changes the layout only when it doubles (fewer distinct graphs). The
   * kernels look pages up by position, never by the width, so the padding changes no result.
   */
  StepMetadata(StepBatch b, int vocab, int prefillTile, int fullPool, int slidingPool, boolean padPages) {
    this(b, vocab, prefillTile, fullPool, slidingPool, padPages, null, 0);
  }

  /**
   * With {@code maskSlots} ([numRows]: each row's slot in the token-mask table at {@code maskTable},
   * -1 for an unconstrained row; null when no row is constrained), a mask-slot section follows the
   * sampling parameters; its presence is part of the layout.
   */
  StepMetadata(StepBatch b, int vocab, int prefillTile, int fullPool, int slidingPool, boolean padPages, int[] maskSlots,
      long maskTable) {
    this.maskTable = maskSlots == null ? 0 : maskTable;
    numTokens = b.numTokens();
    numSeqs = b.numSeqs();
    numRows = b.outputRows().length;
    if (b.positions().length != numTokens) throw new BackendException("step: " + b.positions().length + " positions for " + numTokens + " tokens");
    if (b.seqStart()[0] != 0 || b.seqStart()[numSeqs] != numTokens) {
      throw new BackendException("step: seqStart must run from 0 to the token count " + numTokens);
    }
    int mp = 1;
    for (int s = 0; s < numSeqs; s++) mp = Math.max(mp, Math.max(b.fullPages()[s].length, b.slidingPages()[s].length));
    maxPages = padPages && mp > 1 ? Integer.highestOneBit(mp - 1) << 1 : mp;
    int pre = 0, dec = 0;
    for (int s = 0; s < numSeqs; s++) {
      int n = b.seqStart()[s + 1] - b.seqStart()[s];
      if (n < 0) throw new BackendException("step: seqStart decreases at sequence " + s);
      if (n == 1) dec++;
      else if (n > 1) pre += (n + prefillTile - 1) / prefillTile;
    }
    numPrefillItems = pre;
    numDecodeItems = dec;
    offTokens = 0;
    offPositions = offTokens + numTokens;
    offTokenSeq = offPositions + numTokens;
    offFullTable = offTokenSeq + numTokens;
    offSlidingTable = offFullTable + numSeqs * maxPages;
    offPrefillItems = offSlidingTable + numSeqs * maxPages;
    offDecodeItems = offPrefillItems + 3 * pre;
    offRows = offDecodeItems + 3 * dec;
    offSampling = offRows + numRows;
    offMaskSlots = maskSlots == null ? -1 : offSampling + 4 * numRows;
    length = offSampling + 4 * numRows + (maskSlots == null ? 0 : numRows);
    if (maskSlots != null && maskSlots.length != numRows) {
      throw new BackendException("step: " + maskSlots.length + " mask slots for " + numRows + " output rows");
    }
    data = new int[length];
    for (int t = 0; t < numTokens; t++) {
      int id = b.tokens()[t];
      if (id < 0 || id >= vocab) throw new BackendException("token id " + id + " at batch index " + t + " outside the vocabulary of " + vocab);
      data[offTokens + t] = id;
      data[offPositions + t] = b.positions()[t];
    }
    int ip = offPrefillItems, id = offDecodeItems;
    for (int s = 0; s < numSeqs; s++) {
      int from = b.seqStart()[s], to = b.seqStart()[s + 1];
      for (int t = from; t < to; t++) data[offTokenSeq + t] = s;
      fillTable(b.fullPages()[s], offFullTable + s * maxPages, fullPool, s, "full");
      fillTable(b.slidingPages()[s], offSlidingTable + s * maxPages, slidingPool, s, "sliding");
      if (to - from == 1) {
        data[id++] = s;
        data[id++] = from;
        data[id++] = 1;
      } else {
        for (int t = from; t < to; t += prefillTile) {
          data[ip++] = s;
          data[ip++] = t;
          data[ip++] = Math.min(prefillTile, to - t);
        }
      }
    }
    boolean sampled = false;
    for (int r = 0; r < numRows; r++) {
      int row = b.outputRows()[r];
      if (row < 0 || row >= numTokens) throw new BackendException("output row " + row + " outside the step's " + numTokens + " tokens");
      data[offRows + r] = row;
      SamplingParams p = b.sampling()[r];
      int o = offSampling + 4 * r;
      data[o] = Float.floatToRawIntBits(p.temperature());
      data[o + 1] = Float.floatToRawIntBits(p.topP());
      data[o + 2] = Float.floatToRawIntBits((float) p.topK());
      data[o + 3] = Float.floatToRawIntBits(p.isGreedy() ? 0f : (float) Sampler.uniform(p.seed(), p.counter()));
      sampled |= !p.isGreedy();
      if (maskSlots != null) data[offMaskSlots + r] = maskSlots[r];
    }
    anySampled = sampled;
  }

  /** Every sequence contributes exactly one token: a pure decode step. */
  boolean decodeOnly() {
    return numSeqs > 0 && numTokens == numSeqs && numDecodeItems == numSeqs && numPrefillItems == 0;
  }

  /** The counts and section offsets: everything of this step that shapes its launches. */
  int[] layout() {
    return new int[] {numTokens, numSeqs, maxPages, numPrefillItems, numDecodeItems, numRows, offTokens, offPositions,
        offTokenSeq, offFullTable, offSlidingTable, offPrefillItems, offDecodeItems, offRows, offSampling, offMaskSlots,
        length};
  }

  private void fillTable(int[] table, int off, int pool, int seq, String kind) {
    for (int j = 0; j < maxPages; j++) {
      int page = j < table.length ? table[j] : -1;
      if (page >= pool) throw new BackendException("sequence " + seq + ": " + kind + " page " + page + " outside the pool of " + pool);
      data[off + j] = page;
    }
  }
}
