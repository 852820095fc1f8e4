package ai.gptoss.cli;

import ai.gptoss.model.ModelConfig;
import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/**
 * The physical limit of a {@code bench} workload on one GPU: the fewest bytes it must move and flops
 * it must do, over the copy bandwidth and matrix rate measured on the card.
 *
 * <p>Model of the run: every prompt is prefilled first (all prompts fit at once, as in the
 * 1,024 x 1,024 x 1,024 target), then the decode steps run (the first output token of each request comes
 * from the prefill): request i takes part in steps 1 .. {@code output[i] - 1}, so with mixed lengths
 * ({@code bench --random-range-ratio}) the batch shrinks as requests finish. Each step costs at least
 * {@code max(bytes / bandwidth, flops / matrixRate)} for the requests running in it; steps are summed
 * (no overlap of prefill with decode, which would raise the limit).
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
    long outputTokens) {

  /** MXFP4: 16 bytes of nibbles plus one scale byte per 32 weights. */
  private static final double MXFP4_BYTES_PER_WEIGHT = 17.0 / 32;

  /** {@code prompts} requests of {@code inputLen} tokens in, {@code outputLen} out. */
  static ThroughputLimit of(ModelConfig c, int prompts, int inputLen, int outputLen, int kvBytesPerElement,
      double bytesPerSecond, double flopsPerSecond) {
    return of(c, BenchPrompts.Lengths.fixed(prompts, inputLen, outputLen), kvBytesPerElement, bytesPerSecond, flopsPerSecond);
  }

  /** Requests of the given input and output lengths, all arriving at once. */
  static ThroughputLimit of(ModelConfig c, BenchPrompts.Lengths lengths, int kvBytesPerElement, double bytesPerSecond,
      double flopsPerSecond) {
    double h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), e = c.numLocalExperts(), k = c.numExpertsPerTok(),
        inter = c.intermediateSize(), v = c.vocabSize(), layers = c.numHiddenLayers();
    double denseMacs = h * (q + 2 * kv) + q * h + h * e; // per token and layer
    double expertMacs = 3 * h * inter; // gate_up (2I x H) + down (H x I), one expert
    double tokenLayerFlops = 2 * (denseMacs + k * expertMacs);
    double attentionFlopsPerKey = 4.0 * c.numAttentionHeads() * c.headDim();
    double unembedFlops = 2 * h * v;
    int[] in = lengths.input(), out = lengths.output();
    int full = c.numFullLayers(), sliding = c.numSlidingLayers(), window = c.slidingWindow();
    // Keys one token attends over all layers at a context: full layers all of it, sliding layers the window.
    DoubleUnaryOperator keys = context -> full * context + sliding * Math.min(context, window);

    // Prefill: the token at position p attends keys(p + 1) keys; a prompt of L tokens costs upTo[L].
    int maxIn = Arrays.stream(in).max().orElse(0);
    double[] upTo = new double[maxIn + 1];
    for (int p = 0; p < maxIn; p++) upTo[p + 1] = upTo[p] + layers * tokenLayerFlops + attentionFlopsPerKey * keys.applyAsDouble(p + 1.0);
    double prefillFlops = 0;
    for (int len : in) prefillFlops += upTo[len] + unembedFlops;
    double prefillSeconds = prefillFlops / flopsPerSecond;

    double denseBytes = 2 * (layers * denseMacs + h * v);
    double kvBytesPerKey = 2 * kv * kvBytesPerElement;
    int maxOut = Arrays.stream(out).max().orElse(0);
    double decodeSeconds = 0, decodeBytes = 0;
    for (int step = 1; step < maxOut; step++) {
      int batch = 0;
      double attendedKeys = 0;
      for (int i = 0; i < out.length; i++) {
        if (out[i] <= step) continue; // finished: its last token came from an earlier step
        batch++;
        attendedKeys += keys.applyAsDouble(in[i] + step); // keys attended by the token decoded in this step
      }
      double expertBytes = layers * e * (1 - Math.pow(1 - k / e, batch)) * expertMacs * MXFP4_BYTES_PER_WEIGHT;
      double bytes = denseBytes + expertBytes + attendedKeys * kvBytesPerKey;
      double flops = batch * (layers * tokenLayerFlops + unembedFlops) + attentionFlopsPerKey * attendedKeys;
      decodeBytes += bytes;
      decodeSeconds += Math.max(bytes / bytesPerSecond, flops / flopsPerSecond);
    }
    return new ThroughputLimit(prefillSeconds, decodeSeconds, decodeBytes, prefillFlops, lengths.outputTokens());
  }

  double seconds() {
    return prefillSeconds + decodeSeconds;
  }

  double outputTokensPerSecond() {
    return outputTokens / seconds();
  }
}
