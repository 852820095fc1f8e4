package ai.gptoss.backend;

import ai.gptoss.backend.cpu.CpuAttention;
import ai.gptoss.backend.cpu.CpuKvCache;
import ai.gptoss.backend.cpu.CpuMoe;
import ai.gptoss.backend.cpu.Matmul;
import ai.gptoss.backend.cpu.RmsNorm;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;

/**
 * The experts the router picks at every position and layer of one sequence, recomputed from each layer's input
 * residual with the CPU backend's own pieces (RMSNorm, {@link CpuAttention#forward} over a private K/V cache of the
 * same {@link KvCacheDtype}, output projection, residual, RMSNorm, {@link CpuMoe#route}), so that two runs (float32
 * and FP8 K/V) can be compared for top-k flips: the discrete decisions through which a small perturbation of the
 * attention output can become a large one of the residual stream.
 */
final class RouteRecorder {
  private static final int PAGE = 16;

  private final ModelConfig c;
  private final ModelWeights w;
  private final YarnRope rope;
  private final CpuKvCache full;
  private final CpuKvCache sliding;
  private final int[] table;
  private final int[] layerOfType;
  /** [layer][position]: bit e set when expert e is among the chosen (experts < 64). */
  final long[][] chosen;

  RouteRecorder(ModelWeights w, KvCacheDtype dtype, int maxTokens) {
    this.w = w;
    this.c = w.config;
    if (c.numLocalExperts() > 64) throw new IllegalArgumentException("at most 64 experts, not " + c.numLocalExperts());
    rope = new YarnRope(c);
    int pages = (maxTokens + PAGE - 1) / PAGE;
    KvCacheSpec spec = new KvCacheSpec(PAGE, pages, pages);
    full = CpuKvCache.of(spec, c.numFullLayers(), false, c.kvDim(), dtype);
    sliding = CpuKvCache.of(spec, c.numSlidingLayers(), true, c.kvDim(), dtype);
    table = new int[pages];
    for (int i = 0; i < pages; i++) table[i] = i;
    layerOfType = new int[c.numHiddenLayers()];
    int nf = 0, ns = 0;
    for (int l = 0; l < layerOfType.length; l++) layerOfType[l] = c.isSliding(l) ? ns++ : nf++;
    chosen = new long[c.numHiddenLayers()][maxTokens];
  }

  /** Records layer {@code layer}'s routes for the {@code tokens} positions from {@code first} on; {@code x}: the layer's input. */
  void add(int layer, float[] x, int tokens, int first) {
    ModelWeights.Layer lw = w.layers.get(layer);
    int hid = c.hiddenSize(), qDim = c.qDim();
    float eps = (float) c.rmsNormEps();
    int[] positions = new int[tokens];
    for (int t = 0; t < tokens; t++) positions[t] = first + t;
    StepBatch batch = new StepBatch(new int[tokens], positions, new int[] {0, tokens}, new int[][] {table},
        new int[][] {table}, new int[0], new SamplingParams[0], false);
    float[] h = new float[tokens * hid], attn = new float[tokens * qDim], o = new float[tokens * hid];
    RmsNorm.apply(x, tokens, hid, lw.inputLayernorm(), eps, h);
    boolean isSliding = c.isSliding(layer);
    CpuAttention.forward(batch, h, hid, new CpuAttention.Weights(lw.qProj(), lw.qBias(), lw.kProj(), lw.kBias(),
        lw.vProj(), lw.vBias(), lw.sinks()), c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), rope,
        isSliding ? sliding : full, layerOfType[layer], isSliding, c.slidingWindow(), attn);
    Matmul.linear(attn, tokens, qDim, lw.oProj(), lw.oBias(), hid, o);
    for (int i = 0; i < o.length; i++) o[i] += x[i];
    RmsNorm.apply(o, tokens, hid, lw.postAttentionLayernorm(), eps, h);
    CpuMoe.Route[] routes = CpuMoe.route(c, lw.routerWeight(), lw.routerBias(), h, tokens);
    for (int t = 0; t < tokens; t++) {
      long mask = 0;
      for (int e : routes[t].experts()) mask |= 1L << e;
      chosen[layer][first + t] = mask;
    }
  }
}
