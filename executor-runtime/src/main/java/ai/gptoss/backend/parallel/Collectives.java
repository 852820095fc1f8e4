package ai.gptoss.backend.parallel;

/**
 * The collective operations the ranks of one parallel engine use, called by every rank with its own rank number
 * (as each GPU's thread calls NCCL). Every rank must make the same calls in the same order; a call returns once every
 * rank has made it. Results are the same on every rank and do not depend on timing: reductions run in rank order.
 */
public interface Collectives {
  /** The number of ranks. */
  int size();

  /** Replaces {@code buf} on every rank by the element-wise sum over the ranks, summed in rank order 0..N-1. */
  void allReduceSum(int rank, float[] buf);

  /** Every rank's {@code part}, indexed by rank (parts may differ in length). */
  float[][] allGather(int rank, float[] part);

  /**
   * Sends {@code send[d]} to each rank {@code d} and returns what each rank sent this one, indexed by sender. Expert
   * parallelism's dispatch (token rows to the ranks owning their experts) and combine (expert outputs back to the
   * tokens' ranks) are each one such exchange.
   */
  float[][] allToAll(int rank, float[][] send);

  /**
   * Ends every pending and later call on every rank with an exception naming {@code cause}: a rank failed, so the
   * others must not wait for it.
   */
  void abort(Throwable cause);
}
