package ai.gptoss.cli;

import ai.gptoss.model.ModelConfig;

/**
 * The physical limit of a {@code bench} workload on one GPU: the fewest bytes it must move and flops
 * it must do, over the copy bandwidth and matrix rate measured on the card.
 *
 * <p>Model of the run: every prompt is prefilled first (all {@code prompts} fit at once, as in the
 * 1,024 x 1,024 x 1,024 target), then {@code outputLen - 1} decode steps run at batch {@code prompts}
 * (the first output token comes from the prefill). Each step costs at least
 * {@code max(bytes / bandwidth, flops / matrixRate)}; steps are summed (no overlap of prefill with
 * decode, which would raise the limit).
 *
 * <ul>
 *   <li>Flops per token and layer: 2 x (qkv + o + router + top-k experts' gate_up and down) MACs, plus
 *       4 x heads x head_dim x attended keys (scores and values); the unembedding (2 x H x V) for each
 *       sampled row: every decode token, one per prompt in prefill.
 *   <li>Bytes per decode step: the dense bf16 weights (qkv, o, router, unembedding), the MXFP4 weights of
 *       every expert some token of the step chose (expected distinct experts per layer
 *       {@code E (1 - (1 - k/E)^B)} at batch B), and the K and V of every attended key (full layers: the
 *       whole context; sliding layers: at most the window). Activations are left out (under 1%).
 *   <li>Prefill is bound by flops (its weight and KV traffic is small beside them).
 * </ul>
 */
record ThroughputLimit(double prefillSeconds, double decodeSeconds, double decodeBytes, double prefillFlops,
    int outputTokens) {

  /** MXFP4: 16 bytes of nibbles plus one scale byte per 32 weights. */
  private static final double MXFP4_BYTES_PER_WEIGHT = 17.0 / 32;

  static ThroughputLimit of(ModelConfig c, int prompts, int inputLen, int outputLen, int kvBytesPerElement,
      double bytesPerSecond, double flopsPerSecond) {
    double h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), e = c.numLocalExperts(), k = c.numExpertsPerTok(),
        inter = c.intermediateSize(), v = c.vocabSize(), layers = c.numHiddenLayers();
    double denseMacs = h * (q + 2 * kv) + q * h + h * e; // per token and layer
    double expertMacs = 3 * h * inter; // gate_up (2I x H) + down (H x I), one expert
    double tokenLayerFlops = 2 * (denseMacs + k * expertMacs);
    double attentionFlopsPerKey = 4.0 * c.numAttentionHeads() * c.headDim();
    double unembedFlops = 2 * h * v;

    // Prefill: token at position p attends p + 1 keys on full layers, min(p + 1, window) on sliding.
    double prefillFlops = 0;
    for (int p = 0; p < inputLen; p++) {
      double keys = c.numFullLayers() * (p + 1.0) + c.numSlidingLayers() * Math.min(p + 1.0, c.slidingWindow());
      prefillFlops += layers * tokenLayerFlops + attentionFlopsPerKey * keys;
    }
    prefillFlops = prefillFlops * prompts + unembedFlops * prompts;
    double prefillSeconds = prefillFlops / flopsPerSecond;

    double denseBytes = 2 * (layers * denseMacs + h * v);
    double expertsTouched = e * (1 - Math.pow(1 - k / e, prompts));
    double expertBytes = layers * expertsTouched * expertMacs * MXFP4_BYTES_PER_WEIGHT;
    double kvBytesPerKey = 2 * kv * kvBytesPerElement;
    double decodeSeconds = 0, decodeBytes = 0;
    for (int step = 1; step < outputLen; step++) {
      double context = inputLen + step; // keys attended by the token decoded in this step
      double keys = c.numFullLayers() * context + c.numSlidingLayers() * Math.min(context, c.slidingWindow());
      double bytes = denseBytes + expertBytes + prompts * keys * kvBytesPerKey;
      double flops = prompts * (layers * tokenLayerFlops + attentionFlopsPerKey * keys + unembedFlops);
      decodeBytes += bytes;
      decodeSeconds += Math.max(bytes / bytesPerSecond, flops / flopsPerSecond);
    }
    return new ThroughputLimit(prefillSeconds, decodeSeconds, decodeBytes, prefillFlops, prompts * outputLen);
  }

  double seconds() {
    return prefillSeconds + decodeSeconds;
  }

  double outputTokensPerSecond() {
    return outputTokens / seconds();
  }
}
