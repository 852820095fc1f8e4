package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static ai.gptoss.backend.cuda.Cuda.dev;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.backend.parallel.InMemoryCollectives;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;

/**
 * {@link DeviceCollectives} through host memory, for checking: each rank waits for its stream, copies its buffer to
 * the host, the ranks sum there in rank order 0..N-1 ({@link InMemoryCollectives}, so every rank gets the same
 * floats, run after run) and each copies the sum back. It works wherever the ranks are placed, including several
 * ranks on one GPU, which NCCL refuses: that is what it is for (the partitioned forward pass checked on a machine with
 * one GPU). It is slow (two host copies and a host synchronisation per call, no overlap): not a production path.
 */
public final class HostStagedCollectives implements DeviceCollectives {
  private final InMemoryCollectives host;

  public HostStagedCollectives(int size) {
    host = new InMemoryCollectives(size);
  }

  @Override
  public int size() {
    return host.size();
  }

  /** Synchronous: returns once the sum is back in {@code buf} (the calling thread's current device is the rank's). */
  @Override
  public void allReduceSum(int rank, long buf, long count, CUstream_st stream) {
    float[] part = new float[Math.toIntExact(count)];
    try (FloatPointer staged = new FloatPointer(count)) {
      check(cudaMemcpyAsync(staged, dev(buf), 4L * count, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync(rank " + rank
          + " partial sum to host)");
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(rank " + rank + " before all-reduce)");
      staged.get(part);
      host.allReduceSum(rank, part);
      staged.put(part);
      check(cudaMemcpyAsync(dev(buf), staged, 4L * count, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync(rank " + rank
          + " sum to device)");
      // the pageable source is freed when this returns: the copy must be done by then
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(rank " + rank + " after all-reduce)");
    }
  }

  @Override
  public void abort(Throwable cause) {
    host.abort(cause);
  }

  @Override
  public void close() {}
}
