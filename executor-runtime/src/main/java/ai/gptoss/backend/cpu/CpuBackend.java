package ai.gptoss.backend.cpu;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.Sampler;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.YarnRope;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import java.util.stream.IntStream;

/**
 * The pure-Java float32 forward pass: the reference every other backend is checked against. Follows
 * a token from embedding to logits in the order of the paper: for each layer, RMSNorm, q/k/v with
 * bias, YaRN rotary, attention with sinks (sliding window on the layers config marks), output
 * projection, residual; RMSNorm, top-k router, MXFP4 experts, residual. Then the final norm and the
 * unembedding at the output rows only.
 */
public final class CpuBackend implements Backend {
  private final ModelConfig c;
  private final ModelWeights w;
  private final YarnRope rope;
  private final int[] layerOfType; // index of each layer among the layers of its attention type
  /** GPTOSS_KV_CACHE_DTYPE: float32 (auto), or K/V rounded as the CUDA backend's bf16 / FP8 cache stores them. */
  private final KvCacheDtype kvDtype;
  private CpuKvCache fullCache;
  private CpuKvCache slidingCache;
  private final long kvBudgetBytes;
  private volatile ResidualProbe probe;

  /** Sees the residual stream of a step after the embedding (layer 0) and after each layer (1..L). */
  @FunctionalInterface
  public interface ResidualProbe {
    /** @param x [tokens, hidden], valid only during the call */
    void residual(int layer, float[] x);
  }

  /** Installs a probe for conformance checks of per-layer hidden states; null removes it. */
  public void setResidualProbe(ResidualProbe probe) {
    this.probe = probe;
  }

  /** With the default K/V cache type ({@link KvCacheDtype#AUTO}: float32); settings come in as arguments, never from the environment. */
  public CpuBackend(ModelWeights weights) {
    this(weights, defaultKvBudget());
  }

  public CpuBackend(ModelWeights weights, KvCacheDtype kvDtype) {
    this(weights, defaultKvBudget(), kvDtype);
  }

  public CpuBackend(ModelWeights weights, long kvBudgetBytes) {
    this(weights, kvBudgetBytes, KvCacheDtype.AUTO);
  }

  public CpuBackend(ModelWeights weights, long kvBudgetBytes, KvCacheDtype kvDtype) {
    this.kvDtype = kvDtype;
    this.w = weights;
    this.c = weights.config;
    this.rope = new YarnRope(c);
    this.kvBudgetBytes = kvBudgetBytes;
    layerOfType = new int[c.numHiddenLayers()];
    int full = 0, sliding = 0;
    for (int l = 0; l < c.numHiddenLayers(); l++) layerOfType[l] = c.isSliding(l) ? sliding++ : full++;
  }

  /** A quarter of the heap that is free after loading, capped at 4 GiB. */
  public static long defaultKvBudget() {
    Runtime rt = Runtime.getRuntime();
    long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    return Math.max(16L << 20, Math.min(4L << 30, free / 4));
  }

  @Override
  public ModelConfig config() {
    return c;
  }

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public int kvBytesPerElement() {
    return 4;
  }

  @Override
  public long kvMemoryBudgetBytes(StepBudget step) {
    return kvBudgetBytes;
  }

  @Override
  public void allocateKvCache(KvCacheSpec spec) {
    fullCache = CpuKvCache.of(spec, c.numFullLayers(), false, c.kvDim(), kvDtype);
    slidingCache = CpuKvCache.of(spec, c.numSlidingLayers(), true, c.kvDim(), kvDtype);
  }

  @Override
  public StepResult step(StepBatch batch) {
    if (fullCache == null) throw new BackendException("allocateKvCache must be called before the first step");
    int tokens = batch.numTokens();
    int hid = c.hiddenSize(), qDim = c.qDim();
    float eps = (float) c.rmsNormEps();
    for (int t = 0; t < tokens; t++) {
      int id = batch.tokens()[t];
      if (id < 0 || id >= c.vocabSize()) throw new BackendException("token id " + id + " outside the vocabulary");
    }
    float[] x = new float[tokens * hid];
    for (int t = 0; t < tokens; t++) System.arraycopy(w.embedTokens, batch.tokens()[t] * hid, x, t * hid, hid);
    ResidualProbe probe = this.probe;
    if (probe != null) probe.residual(0, x);
    float[] h = new float[tokens * hid];
    float[] attn = new float[tokens * qDim], o = new float[tokens * hid];
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      ModelWeights.Layer lw = w.layers.get(l);
      boolean sliding = c.isSliding(l);
      RmsNorm.apply(x, tokens, hid, lw.inputLayernorm(), eps, h);
      CpuAttention.Weights aw = new CpuAttention.Weights(lw.qProj(), lw.qBias(), lw.kProj(), lw.kBias(), lw.vProj(),
          lw.vBias(), lw.sinks());
      CpuAttention.forward(batch, h, hid, aw, c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), rope,
          sliding ? slidingCache : fullCache, layerOfType[l], sliding, c.slidingWindow(), attn);
      Matmul.linear(attn, tokens, qDim, lw.oProj(), lw.oBias(), hid, o);
      for (int i = 0; i < x.length; i++) x[i] += o[i];
      RmsNorm.apply(x, tokens, hid, lw.postAttentionLayernorm(), eps, h);
      CpuMoe.forward(c, lw, h, tokens, x);
      if (probe != null) probe.residual(l + 1, x);
    }
    return unembedAndSample(batch, x);
  }

  private StepResult unembedAndSample(StepBatch batch, float[] x) {
    int hid = c.hiddenSize(), vocab = c.vocabSize();
    int[] rows = batch.outputRows();
    int n = rows.length;
    float[] normed = RmsNorm.applyToRows(x, rows, hid, w.norm, (float) c.rmsNormEps());
    float[] logits = new float[n * vocab];
    Matmul.linear(normed, n, hid, w.lmHead, null, vocab, logits);
    float[][] perRow = new float[n][];
    for (int r = 0; r < n; r++) {
      perRow[r] = new float[vocab];
      System.arraycopy(logits, r * vocab, perRow[r], 0, vocab);
    }
    int[] sampled = IntStream.range(0, n).parallel().map(r -> Sampler.sample(perRow[r], batch.sampling()[r], batch.mask(r))).toArray();
    return new StepResult(sampled, batch.returnLogits() ? perRow : null);
  }

  @Override
  public void close() {
    fullCache = null;
    slidingCache = null;
  }
}
