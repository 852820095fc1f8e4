package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static ai.gptoss.backend.cuda.Cuda.dev;
import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.TokenMask;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.LongPointer;

/**
 * The token masks of structured output on the device: a table of {@code slots x words} 64-bit words
 * that {@code sample_rows} indexes by each row's slot (StepMetadata's mask-slot section). A mask is
 * copied once, when a step first uses it ({@link MaskSlots}); later steps only name its slot. The
 * table is allocated at the first constrained step ({@value #INITIAL_SLOTS} slots, 6.4 MB for
 * o200k_harmony) and doubled when one step needs more distinct masks than it holds; the caller
 * invalidates its CUDA graphs then (they hold the table's address).
 *
 * <p>Copies go through a pinned staging buffer of {@value #STAGING} masks on the step's stream; a
 * step with more new masks waits for the stream before reusing it.
 */
final class DeviceMasks implements AutoCloseable {
  static final int INITIAL_SLOTS = 256;
  static final int STAGING = 64;

  private final int vocab;
  private final int words;
  private final CUstream_st stream;
  private final MaskSlots slots = new MaskSlots(0);
  private DeviceArena table;
  private LongPointer staging;
  private long uploads;

  DeviceMasks(int vocab, CUstream_st stream) {
    this.vocab = vocab;
    this.words = TokenMask.words(vocab);
    this.stream = stream;
  }

  int words() {
    return words;
  }

  /** Device address of the table, 0 before the first constrained step. */
  long table() {
    return table == null ? 0 : table.base();
  }

  /** Masks copied to the device so far. */
  long uploads() {
    return uploads;
  }

  /**
   * Slots for the batch's output rows (-1 for unconstrained rows), after enqueueing the copies of
   * masks not yet resident; null when no row is constrained. {@code onRealloc} runs (after the stream
   * is idle) when the table is (re)allocated.
   */
  int[] prepare(StepBatch batch, Runnable onRealloc) {
    if (batch.masks() == null) return null;
    TokenMask[] masks = batch.masks();
    boolean any = false;
    for (TokenMask m : masks) {
      if (m == null) continue;
      any = true;
      if (m.vocab() != vocab) throw new ai.gptoss.backend.BackendException("token mask over " + m.vocab() + " tokens for a vocabulary of " + vocab);
    }
    if (!any) return null;
    MaskSlots.Plan plan = slots.capacity() == 0 ? null : slots.plan(masks);
    if (plan == null) {
      int need = Math.max(INITIAL_SLOTS, Math.max(slots.capacity() * 2, Integer.highestOneBit(MaskSlots.distinct(masks)) * 2));
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
      onRealloc.run();
      if (table != null) table.close();
      table = null;
      table = new DeviceArena("token masks", (long) need * words * 8);
      slots.reset(need);
      plan = slots.plan(masks);
    }
    if (staging == null) {
      staging = new LongPointer();
      check(cudaMallocHost(staging, (long) STAGING * words * 8), "cudaMallocHost(token mask staging)");
      staging.capacity((long) STAGING * words);
    }
    int k = 0;
    for (MaskSlots.Upload u : plan.uploads()) {
      if (k == STAGING) {
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(token mask uploads)");
        k = 0;
      }
      long off = (long) k * words;
      staging.position(off).put(u.mask().bits(), 0, words);
      staging.position(0);
      // The source by address: JavaCPP reads a typed pointer's position in bytes where a function takes
      // void* (cudaMemcpyAsync), so staging.position(off) would copy from off bytes in, not off longs.
      check(cudaMemcpyAsync(dev(table.base() + (long) u.slot() * words * 8), dev(staging.address() + off * 8), (long) words * 8,
          cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync(token mask)");
      k++;
      uploads++;
    }
    return plan.rowSlots();
  }

  @Override
  public void close() {
    if (table != null) table.close();
    if (staging != null) cudaFreeHost(staging.position(0));
    table = null;
    staging = null;
  }
}
