package ai.gptoss.backend.parallel;

import ai.gptoss.backend.BackendException;
import java.util.concurrent.Phaser;

/**
 * {@link Collectives} for N ranks that are threads of one JVM: each call deposits the rank's buffer and waits for the
 * other ranks at a {@link Phaser}; the last rank to arrive computes the result once (sums over the ranks in order
 * 0..N-1, so every rank gets the same floats, run after run) and every rank reads it. One wait per call: a rank
 * reads the result before it arrives at the next call, and the next result is computed only when all have arrived.
 * Results of {@link #allGather} and {@link #allToAll} are shared by the ranks: read them, do not change them.
 */
public final class InMemoryCollectives implements Collectives {
  private final int size;
  private final Object[] slots;
  private final String[] ops;
  private final Phaser phaser;
  private volatile Object result;
  private volatile RuntimeException failure;

  public InMemoryCollectives(int size) {
    if (size < 1) throw new IllegalArgumentException("collectives need at least one rank, got " + size);
    this.size = size;
    this.slots = new Object[size];
    this.ops = new String[size];
    this.phaser = new Phaser(size) {
      @Override
      protected boolean onAdvance(int phase, int parties) {
        combine();
        return false;
      }
    };
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void allReduceSum(int rank, float[] buf) {
    float[] sum = (float[]) exchange(rank, "allReduceSum", buf);
    System.arraycopy(sum, 0, buf, 0, sum.length);
  }

  @Override
  public float[][] allGather(int rank, float[] part) {
    return (float[][]) exchange(rank, "allGather", part);
  }

  @Override
  public float[][] allToAll(int rank, float[][] send) {
    if (send.length != size) throw new BackendException("allToAll: rank " + rank + " sent " + send.length + " parts for " + size + " ranks");
    return ((float[][][]) exchange(rank, "allToAll", send))[rank];
  }

  @Override
  public void abort(Throwable cause) {
    if (failure == null) failure = new CollectiveAbortedException("another rank failed (" + cause + ")", cause);
    phaser.forceTermination();
  }

  /** Deposits {@code mine}, waits for every rank, returns the combined result; once aborted, never waits and throws. */
  private Object exchange(int rank, String op, Object mine) {
    slots[rank] = mine;
    ops[rank] = op;
    if (phaser.arriveAndAwaitAdvance() < 0) {
      RuntimeException f = failure;
      throw new CollectiveAbortedException("rank " + rank + " " + op + ": " + (f == null ? "aborted" : f.getMessage()),
          f == null ? null : f.getCause());
    }
    return result;
  }

  /** Runs on the last rank to arrive, before any rank goes on. A mismatch aborts every rank. */
  private void combine() {
    try {
      for (int r = 1; r < size; r++) {
        if (!ops[r].equals(ops[0])) throw new BackendException("rank " + r + " called " + ops[r] + " while rank 0 called " + ops[0]);
      }
      result = switch (ops[0]) {
        case "allReduceSum" -> sum();
        case "allGather" -> gather();
        default -> exchangeParts();
      };
    } catch (RuntimeException e) {
      abort(e);
    }
  }

  private float[] sum() {
    float[] sum = ((float[]) slots[0]).clone();
    for (int r = 1; r < size; r++) {
      float[] other = (float[]) slots[r];
      if (other.length != sum.length) {
        throw new BackendException("allReduceSum: rank " + r + " gave " + other.length + " floats, rank 0 " + sum.length);
      }
      for (int i = 0; i < sum.length; i++) sum[i] += other[i];
    }
    return sum;
  }

  private float[][] gather() {
    float[][] all = new float[size][];
    for (int r = 0; r < size; r++) all[r] = ((float[]) slots[r]).clone();
    return all;
  }

  /** [receiver][sender]: what each sender sent each receiver. */
  private float[][][] exchangeParts() {
    float[][][] received = new float[size][size][];
    for (int s = 0; s < size; s++) {
      float[][] sent = (float[][]) slots[s];
      for (int d = 0; d < size; d++) received[d][s] = sent[d].clone();
    }
    return received;
  }

  /** Thrown on the ranks that were waiting for, or called a collective after, a failed rank. */
  public static final class CollectiveAbortedException extends BackendException {
    CollectiveAbortedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
