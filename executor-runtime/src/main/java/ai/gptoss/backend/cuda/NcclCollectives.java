package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.dev;
import static org.bytedeco.cuda.global.nccl.*;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.parallel.RankPlacement;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.javacpp.PointerPointer;

/**
 * {@link DeviceCollectives} through NCCL, the production path of an engine spanning several GPUs of one process: one
 * communicator per rank from {@code ncclCommInitAll} over the ranks' devices (distinct GPUs: NCCL refuses two ranks on
 * one), each used by its rank's own thread, so no group calls are needed. The all-reduce is enqueued on the rank's
 * stream and returns at once. NCCL's sum order is its own (ring or tree), the same on every rank.
 */
public final class NcclCollectives implements DeviceCollectives {
  private final ncclComm[] comms;
  private volatile boolean aborted;

  /** Communicators for ranks 0..N-1 on {@code devices[r]} (distinct CUDA ordinals). */
  public NcclCollectives(int[] devices) {
    RankPlacement.requireDistinct(devices, "NCCL");
    comms = new ncclComm[devices.length];
    try (PointerPointer<ncclComm> handles = new PointerPointer<>(devices.length)) {
      checkNccl(ncclCommInitAll(handles, devices.length, devices.clone()), "ncclCommInitAll(" + devices.length + " GPUs)");
      for (int r = 0; r < devices.length; r++) comms[r] = new ncclComm(handles.get(r));
    }
  }

  /** NCCL's version as a number (22703 for 2.27.3). */
  public static int version() {
    int[] v = new int[1];
    checkNccl(ncclGetVersion(v), "ncclGetVersion");
    return v[0];
  }

  @Override
  public int size() {
    return comms.length;
  }

  @Override
  public void allReduceSum(int rank, long buf, long count, CUstream_st stream) {
    if (aborted) throw new BackendException("rank " + rank + " all-reduce: the collectives were aborted (another rank failed)");
    checkNccl(ncclAllReduce(dev(buf), dev(buf), count, ncclFloat32, ncclSum, comms[rank], stream),
        "ncclAllReduce(rank " + rank + ", " + count + " floats)");
  }

  /** Aborts every communicator: ranks waiting in a collective for the failed one return with an error. */
  @Override
  public synchronized void abort(Throwable cause) {
    if (aborted) return;
    aborted = true;
    for (ncclComm c : comms) ncclCommAbort(c);
  }

  @Override
  public synchronized void close() {
    if (!aborted) {
      for (ncclComm c : comms) ncclCommDestroy(c);
    }
    aborted = true;
  }

  private static void checkNccl(int rc, String call) {
    if (rc != ncclSuccess) throw new BackendException(call + " failed: " + ncclGetErrorString(rc).getString() + " (" + rc + ")");
  }
}
