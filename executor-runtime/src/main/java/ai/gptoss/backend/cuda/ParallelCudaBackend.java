package ai.gptoss.backend.cuda;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.parallel.RankPlacement;
import ai.gptoss.backend.parallel.RankShard;
import ai.gptoss.backend.parallel.RankThreads;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;

/**
 * One engine spanning several GPUs (docs/multi-gpu.md): N ranks as {@link ParallelPlan} splits the model, each a
 * {@link CudaBackend} of its shard's shapes on its GPU ({@link RankPlacement}), holding only its {@link RankShard}
 * (read from the checkpoint by slices: its vocabulary rows of the embedding and the LM head included), and its own K/V
 * heads' cache. A step runs on every rank at once, one thread each; the ranks sum their partial outputs through
 * {@link DeviceCollectives} (NCCL, or host-staged where ranks share a GPU) and so hold the same residual stream and the
 * same logits (each rank's columns summed with the others' zeros) and sample the same ids: rank 0's are the step's
 * result.
 *
 * <p>A rank that fails aborts the collectives, so the others stop instead of waiting; the engine is then spent (its
 * GPUs' state after a failed step is not trusted) and refuses further steps.
 */
public final class ParallelCudaBackend implements Backend {
  private final ModelConfig c;
  private final ParallelPlan plan;
  private final RankPlacement placement;
  private final DeviceCollectives coll;
  private final CudaBackend[] ranks;
  private final RankThreads threads;
  private volatile Throwable failed;

  private ParallelCudaBackend(ModelConfig c, ParallelPlan plan, RankPlacement placement, DeviceCollectives coll,
      CudaBackend[] ranks) {
    this.c = c;
    this.plan = plan;
    this.placement = placement;
    this.coll = coll;
    this.ranks = ranks;
    threads = new RankThreads("gptoss-cuda-rank", ranks.length);
  }

  /**
   * Loads each rank's shard from {@code ckpt} onto its GPU; throws {@link IllegalArgumentException} naming the setting
   * and the config key when the model does not split over {@code plan}'s ranks (before any GPU is touched).
   */
  public static ParallelCudaBackend load(Checkpoint ckpt, ParallelPlan plan, RankPlacement placement, Precision precision,
      KvCacheDtype kvCacheDtype) {
    ModelConfig c = ckpt.config();
    plan.check(c);
    if (placement.ranks() != plan.ranks()) {
      throw new IllegalArgumentException(plan.label() + ": " + placement.ranks() + " GPUs placed for " + plan.ranks() + " ranks");
    }
    ModelWeights.checkLayout(ckpt);
    for (int r = 0; r < plan.ranks(); r++) ForwardPass.checkSupported(plan.rankConfig(c, r));
    DeviceCollectives coll = placement.sharesDevice() ? new HostStagedCollectives(plan.ranks())
        : new NcclCollectives(placement.ordinals());
    CudaBackend[] ranks = new CudaBackend[plan.ranks()];
    try {
      for (int r = 0; r < ranks.length; r++) {
        RankShard shard = RankShard.load(ckpt, plan, r, RankShard.Replication.CUDA);
        DeviceRank role = new DeviceRank(r, shard.experts().from(), shard.experts().size(), shard.vocab(), coll);
        ranks[r] = CudaBackend.rank(shard.weights(), placement.device(r), precision, kvCacheDtype, role);
      }
    } catch (RuntimeException | Error e) {
      for (CudaBackend b : ranks) {
        if (b != null) b.close();
      }
      coll.close();
      throw e;
    }
    return new ParallelCudaBackend(c, plan, placement, coll, ranks);
  }

  public ParallelPlan plan() {
    return plan;
  }

  public RankPlacement placement() {
    return placement;
  }

  /** Rank {@code r}'s backend (checks). */
  CudaBackend rank(int r) {
    return ranks[r];
  }

  @Override
  public ModelConfig config() {
    return c;
  }

  /** "cuda-tp2:0,1", "cuda-tp4-ep:0,0,0,0": the plan and each rank's GPU. */
  @Override
  public String name() {
    return "cuda-" + plan.label() + ":" + String.join(",", placement.devices().stream().map(String::valueOf).toList());
  }

  @Override
  public int kvBytesPerElement() {
    return ranks[0].kvBytesPerElement();
  }

  /** The sum over ranks: a rank stores its K/V heads (more than 1/N of them where K/V heads are replicated). */
  @Override
  public long kvPageBytes(int pageSize, boolean sliding) {
    long b = 0;
    for (CudaBackend r : ranks) b += r.kvPageBytes(pageSize, sliding);
    return b;
  }

  /** See {@link RankPlacement#kvBudget}: as many pages as the tightest GPU holds for all of its ranks. */
  @Override
  public long kvMemoryBudgetBytes(StepBudget step) {
    long[] budgets = new long[ranks.length], free = new long[ranks.length], perToken = new long[ranks.length];
    for (int r = 0; r < ranks.length; r++) {
      free[r] = ranks[r].memoryInfo()[0];
      budgets[r] = ranks[r].kvMemoryBudgetBytes(step);
      perToken[r] = ranks[r].kvPageBytes(1, false) + ranks[r].kvPageBytes(1, true);
    }
    return placement.kvBudget(budgets, free, perToken);
  }

  @Override
  public StepBudget defaultStepBudget() {
    return ranks[0].defaultStepBudget();
  }

  @Override
  public void allocateKvCache(KvCacheSpec spec) {
    for (CudaBackend r : ranks) r.allocateKvCache(spec);
  }

  @Override
  public StepResult step(StepBatch batch) {
    if (failed != null) throw new BackendException(name() + " is spent: a rank failed in an earlier step (" + failed + ")", failed);
    for (int t = 0; t < batch.numTokens(); t++) {
      int id = batch.tokens()[t];
      if (id < 0 || id >= c.vocabSize()) throw new BackendException("token id " + id + " outside the vocabulary");
    }
    try {
      return threads.run(r -> ranks[r].step(batch), coll::abort);
    } catch (RuntimeException e) {
      failed = e;
      throw e;
    }
  }

  /** Bytes of the weight arenas of all ranks. */
  public long weightBytes() {
    long b = 0;
    for (CudaBackend r : ranks) b += r.weightBytes();
    return b;
  }

  /** Rank 0's GPU's free and total memory (DeviceStats). */
  public long[] memoryInfo() {
    return ranks[0].memoryInfo();
  }

  public String deviceName() {
    return ranks[0].deviceName();
  }

  public String arch() {
    return ranks[0].arch();
  }

  public boolean precise() {
    return ranks[0].precise();
  }

  public Precision precision() {
    return ranks[0].precision();
  }

  public String kvCacheDtype() {
    return ranks[0].kvCacheDtype();
  }

  /** Rank 0's kernel profile (GPTOSS_PROFILE), all-reduces included. */
  public String profileReport() {
    return ranks[0].profileReport();
  }

  @Override
  public void close() {
    threads.close();
    for (CudaBackend r : ranks) r.close();
    coll.close();
  }
}
