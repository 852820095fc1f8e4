package ai.gptoss.engine;

import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import ai.gptoss.model.Mxfp4;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A random GPT-OSS model built in memory, for engine tests that need a shape no fixture has (a
 * small window, a small vocabulary). Weights are drawn from a fixed seed; experts are MXFP4 with
 * scales that keep the values small.
 */
final class SyntheticModel {
  private SyntheticModel() {}

  /** vocab 64, hidden 32, 2 layers (sliding, full), 2/1 heads of 16, 4 experts top-2, eos 63. */
  static ModelConfig config(int slidingWindow) {
    return new ModelConfig(64, 32, 32, 2, 2, 1, 16, 4, 2, slidingWindow, 1e-5, 150000,
        new ModelConfig.RopeScaling("yarn", 32, 32, 1, 4096, false), 7.0,
        List.of(ModelConfig.SLIDING, ModelConfig.FULL), List.of(63), 63, 8192, "mxfp4");
  }

  static ModelWeights weights(ModelConfig c, long seed) {
    Random rnd = new Random(seed);
    int v = c.vocabSize(), h = c.hiddenSize(), q = c.qDim(), k = c.kvDim(), e = c.numLocalExperts(),
        i = c.intermediateSize();
    List<ModelWeights.Layer> layers = new ArrayList<>();
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      layers.add(new ModelWeights.Layer(
          ones(h), ones(h),
          normal(rnd, q * h, 0.2), normal(rnd, q, 0.1),
          normal(rnd, k * h, 0.2), normal(rnd, k, 0.1),
          normal(rnd, k * h, 0.2), normal(rnd, k, 0.1),
          normal(rnd, h * q, 0.2), normal(rnd, h, 0.1),
          normal(rnd, c.numAttentionHeads(), 1.0),
          normal(rnd, e * h, 0.3), normal(rnd, e, 0.1),
          bytes(rnd, e * 2 * i * (h / Mxfp4.BLOCK) * Mxfp4.BYTES_PER_BLOCK), scales(rnd, e * 2 * i * (h / Mxfp4.BLOCK)),
          normal(rnd, e * 2 * i, 0.1),
          bytes(rnd, e * h * (i / Mxfp4.BLOCK) * Mxfp4.BYTES_PER_BLOCK), scales(rnd, e * h * (i / Mxfp4.BLOCK)),
          normal(rnd, e * h, 0.1)));
    }
    return new ModelWeights(c, normal(rnd, v * h, 1.0), ones(h), normal(rnd, v * h, 0.3), layers);
  }

  private static float[] ones(int n) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, 1f);
    return a;
  }

  private static float[] normal(Random rnd, int n, double std) {
    float[] a = new float[n];
    for (int j = 0; j < n; j++) a[j] = (float) (rnd.nextGaussian() * std);
    return a;
  }

  private static byte[] bytes(Random rnd, int n) {
    byte[] a = new byte[n];
    rnd.nextBytes(a);
    return a;
  }

  /** E8M0 scales 2^-5 .. 2^-3: expert weights of magnitude up to 6/8. */
  private static byte[] scales(Random rnd, int n) {
    byte[] a = new byte[n];
    for (int j = 0; j < n; j++) a[j] = (byte) (Mxfp4.SCALE_BIAS - 5 + rnd.nextInt(3));
    return a;
  }
}
