package ai.gptoss.backend.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;

/**
 * The collective the ranks of one engine spanning several GPUs call from their CUDA forward pass (one thread per
 * rank, each with its own stream): every rank makes the same calls in the same order. The forward pass needs one
 * operation, an in-place sum of a float32 device buffer: the residual stream is replicated, so after o_proj and after
 * the experts each rank holds a partial sum that every rank needs whole. Implementations: {@link NcclCollectives}
 * (the production path, one GPU per rank) and {@link HostStagedCollectives} (for checking the partitioned forward
 * pass where NCCL cannot run it: several ranks on one GPU).
 */
public interface DeviceCollectives extends AutoCloseable {
  /** The number of ranks. */
  int size();

  /**
   * Replaces {@code count} floats at device address {@code buf} of rank {@code rank}'s GPU by their sum over the
   * ranks, ordered after the work already on {@code stream}; later work on {@code stream} sees the sum. Every rank
   * gets the same floats.
   */
  void allReduceSum(int rank, long buf, long count, CUstream_st stream);

  /** Ends the pending and later calls of every rank with an exception: a rank failed, the others must not wait for it. */
  void abort(Throwable cause);

  @Override
  void close();
}
