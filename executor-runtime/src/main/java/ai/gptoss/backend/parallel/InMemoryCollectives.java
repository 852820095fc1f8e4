package ai.gptoss.backend.parallel;

import ai.gptoss.backend.BackendException;
import java.util.concurrent.Phaser;

/**
 * {@link Collectives} for N ranks that are threads of one JVM: each call deposits the rank's buffer, waits for the
 * other ranks at a {@link Phaser}, reads what it needs, and waits again before anyone deposits for the next call.
 * Sums run over the ranks in order 0..N-1 on every rank, so every rank gets the same floats, run after run.
 */
public final class InMemoryCollectives implements Collectives {
  private final int size;
  private final Phaser phaser;
  private final Object[] slots;
  private volatile Throwable failure;

  public InMemoryCollectives(int size) {
    if (size < 1) throw new IllegalArgumentException("collectives need at least one rank, got " + size);
    this.size = size;
    this.phaser = new Phaser(size);
    this.slots = new Object[size];
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void allReduceSum(int rank, float[] buf) {
    slots[rank] = buf;
    sync(rank, "allReduceSum");
    float[] sum = ((float[]) slots[0]).clone();
    for (int r = 1; r < size; r++) {
      float[] other = (float[]) slots[r];
      if (other.length != sum.length) {
        throw new BackendException("allReduceSum: rank " + r + " gave " + other.length + " floats, rank 0 "
            + sum.length);
      }
      for (int i = 0; i < sum.length; i++) sum[i] += other[i];
    }
    sync(rank, "allReduceSum");
    System.arraycopy(sum, 0, buf, 0, sum.length);
  }

  @Override
  public float[][] allGather(int rank, float[] part) {
    slots[rank] = part;
    sync(rank, "allGather");
    float[][] all = new float[size][];
    for (int r = 0; r < size; r++) all[r] = ((float[]) slots[r]).clone();
    sync(rank, "allGather");
    return all;
  }

  @Override
  public float[][] allToAll(int rank, float[][] send) {
    if (send.length != size) throw new BackendException("allToAll: rank " + rank + " sent " + send.length + " parts for " + size + " ranks");
    slots[rank] = send;
    sync(rank, "allToAll");
    float[][] received = new float[size][];
    for (int r = 0; r < size; r++) received[r] = ((float[][]) slots[r])[rank].clone();
    sync(rank, "allToAll");
    return received;
  }

  @Override
  public void abort(Throwable cause) {
    if (failure == null) failure = cause;
    phaser.forceTermination();
  }

  /** Waits for every rank; once aborted, never waits again and throws. */
  private void sync(int rank, String op) {
    if (phaser.arriveAndAwaitAdvance() < 0) {
      throw new CollectiveAbortedException("rank " + rank + " " + op + ": another rank failed (" + failure + ")", failure);
    }
  }

  /** Thrown on the ranks that were waiting for, or called a collective after, a failed rank. */
  public static final class CollectiveAbortedException extends BackendException {
    CollectiveAbortedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
