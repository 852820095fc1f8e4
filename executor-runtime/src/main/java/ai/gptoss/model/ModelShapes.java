package ai.gptoss.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Common GPT-OSS shapes as {@link ModelConfig} builders, for synthetic checkpoints in tests and
 * benchmarks. Every builder starts from the published gpt-oss-20b config (YaRN rope, swiglu limit 7,
 * eps 1e-5) and changes only the dimensions asked for.
 */
public final class ModelShapes {
  /** The published vocabulary size (o200k_harmony). */
  public static final int GPT_OSS_VOCAB = 201088;

  private ModelShapes() {}

  /** gpt-oss-20b's real dimensions (hidden 2880, 64/8 heads of 64, 32 experts top-4, vocab 201088) with {@code layers} layers. */
  public static Builder gptOss20b(int layers) {
    return new Builder().layers(layers);
  }

  /** The dimensions of the tiny-a fixture: vocab 1024, hidden 64, 4 layers, 4/2 heads of 16, 8 experts top-4, window 8. */
  public static Builder tinyA() {
    return new Builder().vocab(1024).hidden(64).intermediate(64).layers(4).heads(4, 2).headDim(16).experts(8, 4)
        .slidingWindow(8);
  }

  /** Mutable dimensions; {@link #build()} derives layer types, eos and pad ids like the fixtures do. */
  public static final class Builder {
    private int vocab = GPT_OSS_VOCAB;
    private int hidden = 2880;
    private int intermediate = 2880;
    private int layers = 24;
    private int heads = 64;
    private int kvHeads = 8;
    private int headDim = 64;
    private int experts = 32;
    private int topK = 4;
    private int window = 128;
    private List<String> layerTypes;

    public Builder vocab(int v) {
      vocab = v;
      return this;
    }

    public Builder hidden(int h) {
      hidden = h;
      return this;
    }

    public Builder intermediate(int i) {
      intermediate = i;
      return this;
    }

    /** Sets the layer count; layer types alternate sliding, full, ... unless {@link #layerTypes} is given. */
    public Builder layers(int n) {
      layers = n;
      return this;
    }

    public Builder heads(int query, int keyValue) {
      heads = query;
      kvHeads = keyValue;
      return this;
    }

    public Builder headDim(int d) {
      headDim = d;
      return this;
    }

    public Builder experts(int count, int perToken) {
      experts = count;
      topK = perToken;
      return this;
    }

    public Builder slidingWindow(int w) {
      window = w;
      return this;
    }

    /** Explicit {@code layer_types}; also sets the layer count. */
    public Builder layerTypes(String... types) {
      layerTypes = List.of(types);
      layers = types.length;
      return this;
    }

    public ModelConfig build() {
      List<String> types = layerTypes;
      if (types == null) {
        types = new ArrayList<>();
        for (int l = 0; l < layers; l++) types.add(l % 2 == 0 ? ModelConfig.SLIDING : ModelConfig.FULL);
      }
      // The published ids; a test vocabulary keeps them inside itself (as reference_fixture.py does).
      int eos = vocab < GPT_OSS_VOCAB ? vocab - 2 : 200002;
      int pad = vocab < GPT_OSS_VOCAB ? vocab - 1 : 199999;
      ModelConfig c = new ModelConfig(vocab, hidden, intermediate, layers, heads, kvHeads, headDim, experts, topK,
          window, 1e-5, 150000, new ModelConfig.RopeScaling("yarn", 32, 32, 1, 4096, false), 7.0, types,
          List.of(eos), pad, 131072, "mxfp4");
      // Round-trip through the validating parser so a builder can never make a config the loader rejects.
      return ModelConfig.parse(c.toJson(), "synthetic config " + vocab + "x" + hidden + "x" + layers);
    }
  }
}
