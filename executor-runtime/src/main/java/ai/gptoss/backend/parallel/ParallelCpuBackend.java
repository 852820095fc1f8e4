package ai.gptoss.backend.parallel;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.Sampler;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.YarnRope;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import java.util.stream.IntStream;

/**
 * The CPU twin of a multi-GPU engine: the model split over N simulated ranks as {@link ParallelPlan} says, each rank a
 * thread of this JVM holding only its {@link RankShard} and its K/V heads' cache, running the pure-Java backend's
 * kernels and exchanging activations through {@link InMemoryCollectives}. Its outputs equal {@link CpuBackend}'s up to
 * the order of float sums that the split changes (row-parallel products are summed per rank, then across ranks).
 */
public final class ParallelCpuBackend implements Backend {
  private final ModelConfig c;
  private final ParallelPlan plan;
  private final RankShard[] shards;
  private final RankForward[] ranks;
  private final KvCacheDtype kvDtype;
  private final long kvBudgetBytes;
  private final RankThreads threads;
  private Collectives coll;
  private boolean allocated;

  private ParallelCpuBackend(ModelConfig c, ParallelPlan plan, RankShard[] shards, long kvBudgetBytes,
      KvCacheDtype kvDtype) {
    this.c = c;
    this.plan = plan;
    this.shards = shards;
    this.kvDtype = kvDtype;
    this.kvBudgetBytes = kvBudgetBytes;
    YarnRope rope = new YarnRope(c);
    int[] layerOfType = new int[c.numHiddenLayers()];
    int full = 0, sliding = 0;
    for (int l = 0; l < c.numHiddenLayers(); l++) layerOfType[l] = c.isSliding(l) ? sliding++ : full++;
    ranks = new RankForward[shards.length];
    for (int r = 0; r < shards.length; r++) ranks[r] = new RankForward(c, plan, shards[r], rope, layerOfType);
    coll = new InMemoryCollectives(shards.length);
    threads = new RankThreads("gptoss-cpu-rank", shards.length);
  }

  /**
   * Loads each rank's shard from {@code ckpt}; throws {@link IllegalArgumentException} naming the setting and the
   * config key when the model does not split over {@code plan}'s ranks.
   */
  public static ParallelCpuBackend load(Checkpoint ckpt, ParallelPlan plan, long kvBudgetBytes, KvCacheDtype kvDtype) {
    return new ParallelCpuBackend(ckpt.config(), plan, shards(ckpt, plan), kvBudgetBytes, kvDtype);
  }

  /** With the pure-Java backend's default K/V budget (a share of the heap left free once the shards are loaded). */
  public static ParallelCpuBackend load(Checkpoint ckpt, ParallelPlan plan, KvCacheDtype kvDtype) {
    RankShard[] shards = shards(ckpt, plan);
    return new ParallelCpuBackend(ckpt.config(), plan, shards, CpuBackend.defaultKvBudget(), kvDtype);
  }

  private static RankShard[] shards(Checkpoint ckpt, ParallelPlan plan) {
    plan.check(ckpt.config());
    ModelWeights.checkLayout(ckpt);
    RankShard[] shards = new RankShard[plan.ranks()];
    for (int r = 0; r < shards.length; r++) shards[r] = RankShard.load(ckpt, plan, r);
    return shards;
  }

  /** As {@link CpuBackend#setResidualProbe}: rank 0's copy of the (replicated) residual stream; null removes it. */
  public void setResidualProbe(CpuBackend.ResidualProbe probe) {
    ranks[0].probe = probe;
  }

  public ParallelPlan plan() {
    return plan;
  }

  /** Each rank's weight bytes. */
  public long[] shardBytes() {
    long[] b = new long[shards.length];
    for (int r = 0; r < b.length; r++) b[r] = shards[r].bytes();
    return b;
  }

  @Override
  public ModelConfig config() {
    return c;
  }

  @Override
  public String name() {
    return "cpu-" + plan.label();
  }

  @Override
  public int kvBytesPerElement() {
    return 4;
  }

  /** The sum over ranks: a rank stores its K/V heads (more than 1/N of them where K/V heads are replicated). */
  @Override
  public long kvPageBytes(int pageSize, boolean sliding) {
    int layers = sliding ? c.numSlidingLayers() : c.numFullLayers();
    long dims = 0;
    for (RankForward r : ranks) dims += r.kvDim();
    return 2L * layers * pageSize * dims * kvBytesPerElement();
  }

  @Override
  public long kvMemoryBudgetBytes(StepBudget step) {
    return kvBudgetBytes;
  }

  @Override
  public void allocateKvCache(KvCacheSpec spec) {
    for (RankForward r : ranks) r.allocateKvCache(spec, kvDtype);
    allocated = true;
  }

  @Override
  public StepResult step(StepBatch batch) {
    if (!allocated) throw new BackendException("allocateKvCache must be called before the first step");
    for (int t = 0; t < batch.numTokens(); t++) {
      int id = batch.tokens()[t];
      if (id < 0 || id >= c.vocabSize()) throw new BackendException("token id " + id + " outside the vocabulary");
    }
    Collectives stepColl = coll;
    float[][] perRow;
    try {
      perRow = threads.run(r -> ranks[r].step(batch, stepColl), stepColl::abort);
    } catch (RuntimeException e) {
      coll = new InMemoryCollectives(ranks.length); // the aborted ones are spent; the next step starts afresh
      throw e;
    }
    int[] sampled = IntStream.range(0, perRow.length).parallel()
        .map(r -> Sampler.sample(perRow[r], batch.sampling()[r], batch.mask(r))).toArray();
    return new StepResult(sampled, batch.returnLogits() ? perRow : null);
  }

  @Override
  public void close() {
    threads.close();
    for (RankForward r : ranks) r.release();
    allocated = false;
  }
}
