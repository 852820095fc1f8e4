package ai.gptoss.backend;

/**
 * One forward step, as the scheduler planned it: several sequences, each contributing a run of new
 * tokens (a prefill chunk or one decode token) at consecutive positions. Immutable by convention:
 * the backend only reads it.
 *
 * <p>Page tables: logical page {@code j} of a sequence holds positions {@code [j*pageSize,
 * (j+1)*pageSize)}. {@code fullPages[s]} maps every logical page up to the last new token;
 * {@code slidingPages[s]} maps the same logical indices but entries whose positions fell out of the
 * window before this step are -1.
 *
 * @param tokens [numTokens] new token ids of all sequences, concatenated
 * @param positions [numTokens] absolute position of each new token
 * @param seqStart [numSeqs + 1] offsets of each sequence's tokens in {@code tokens}
 * @param fullPages [numSeqs][*] page ids in the full-attention pool
 * @param slidingPages [numSeqs][*] page ids in the sliding-window pool (-1 where freed)
 * @param outputRows token indices (into {@code tokens}) whose logits are computed and sampled
 * @param sampling [outputRows.length] how each output row samples
 * @param returnLogits copy the output rows' logits back (conformance tests; costly on a GPU)
 * @param masks [outputRows.length] the tokens each output row may sample (null entries: any), or null when
 *     no row is constrained; disallowed tokens get a logit of minus infinity before sampling
 */
public record StepBatch(
    int[] tokens,
    int[] positions,
    int[] seqStart,
    int[][] fullPages,
    int[][] slidingPages,
    int[] outputRows,
    SamplingParams[] sampling,
    boolean returnLogits,
    TokenMask[] masks) {

  /** A step without token masks. */
  public StepBatch(int[] tokens, int[] positions, int[] seqStart, int[][] fullPages, int[][] slidingPages,
      int[] outputRows, SamplingParams[] sampling, boolean returnLogits) {
    this(tokens, positions, seqStart, fullPages, slidingPages, outputRows, sampling, returnLogits, null);
  }

  /** Output row {@code r}'s mask, or null when it samples from every token. */
  public TokenMask mask(int r) {
    return masks == null ? null : masks[r];
  }

  public int numTokens() {
    return tokens.length;
  }

  public int numSeqs() {
    return seqStart.length - 1;
  }

  /** Index of the sequence that token {@code t} belongs to. */
  public int seqOf(int t) {
    int lo = 0, hi = numSeqs() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (seqStart[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
