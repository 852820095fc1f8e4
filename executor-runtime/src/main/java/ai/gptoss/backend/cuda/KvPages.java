package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static ai.gptoss.backend.cuda.Cuda.dev;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.model.ModelConfig;
import org.bytedeco.cuda.cudart.CUstream_st;

/**
 * The paged K/V cache on the device: one arena holding the pool of full-attention pages and the
 * pool of sliding-window pages, zeroed once, and the attention kernel family its layout allows.
 */
final class KvPages implements AutoCloseable {
  final DeviceArena arena;
  final long fullPool, slidingPool;
  final int fullPages, slidingPages, pageSize;
  /** attention_mma.cu (bf16 or FP8 K/V, head_dim 16/32/64, 16-token pages), else attention.cu. */
  final boolean tensorCoreAttention;

  /** Refuses a layout the K/V format cannot serve, before anything is freed or allocated. */
  static void checkSupported(KvCacheSpec spec, KvFormat kvFormat, ModelConfig c) {
    if (kvFormat == KvFormat.FP8 && !AttentionPlan.tensorCores(kvFormat, c.headDim(), spec.pageSize())) {
      throw new BackendException("the FP8 KV cache needs tensor-core attention: head_dim 16, 32 or 64 and pages of "
          + AttentionPlan.PAGE + " tokens (head_dim " + c.headDim() + ", pages of " + spec.pageSize() + ")");
    }
  }

  /**
   * Allocates and zeroes the pages of {@code spec}, of {@code fullPageBytes} and {@code slidingPageBytes}
   * each ({@link ai.gptoss.backend.Backend#kvPageBytes}), on {@code stream}, and waits for the zeroing.
   */
  KvPages(KvCacheSpec spec, long fullPageBytes, long slidingPageBytes, ModelConfig c, KvFormat kvFormat, CUstream_st stream) {
    long fullBytes = (long) spec.fullPages() * fullPageBytes;
    long slidingBytes = (long) spec.slidingPages() * slidingPageBytes;
    arena = new DeviceArena("KV pages (" + spec.fullPages() + " full + " + spec.slidingPages() + " sliding of "
        + spec.pageSize() + " tokens)", DeviceArena.aligned(fullBytes) + DeviceArena.aligned(slidingBytes));
    fullPool = arena.alloc(fullBytes);
    slidingPool = arena.alloc(slidingBytes);
    fullPages = spec.fullPages();
    slidingPages = spec.slidingPages();
    pageSize = spec.pageSize();
    tensorCoreAttention = AttentionPlan.tensorCores(kvFormat, c.headDim(), pageSize);

    // Zeroed once: slots past a sequence's end are read (and masked) by the tensor-core kernel, and a
    // NaN left in fresh memory would survive the zero softmax weight.
    if (fullBytes > 0) check(cudaMemsetAsync(dev(fullPool), 0, fullBytes, stream), "cudaMemsetAsync(full KV pages)");
    if (slidingBytes > 0) check(cudaMemsetAsync(dev(slidingPool), 0, slidingBytes, stream), "cudaMemsetAsync(sliding KV pages)");
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(KV pages zeroed)");
  }

  @Override
  public void close() {
    arena.close();
  }
}
