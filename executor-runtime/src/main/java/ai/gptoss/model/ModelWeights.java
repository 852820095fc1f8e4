package ai.gptoss.model;

import ai.gptoss.model.Checkpoint.Dim;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * All weights of a GPT-OSS model in host memory: dense tensors as float32, expert weights kept
 * MXFP4-packed exactly as on disk (4.25 bits per weight). Shapes use V=vocab, H=hidden,
 * Q=heads*head_dim, K=kv_heads*head_dim, E=experts, I=intermediate.
 */
public final class ModelWeights {
  public final ModelConfig config;
  public final float[] embedTokens; // [V, H]
  public final float[] norm; // [H]
  public final float[] lmHead; // [V, H]
  public final List<Layer> layers;

  /** One decoder layer. */
  public record Layer(
      float[] inputLayernorm, // [H]
      float[] postAttentionLayernorm, // [H]
      float[] qProj, float[] qBias, // [Q, H], [Q]
      float[] kProj, float[] kBias, // [K, H], [K]
      float[] vProj, float[] vBias, // [K, H], [K]
      float[] oProj, float[] oBias, // [H, Q], [H]
      float[] sinks, // [heads]
      float[] routerWeight, float[] routerBias, // [E, H], [E]
      byte[] gateUpBlocks, // [E, 2I, H/32, 16] uint8
      byte[] gateUpScales, // [E, 2I, H/32] uint8
      float[] gateUpBias, // [E, 2I]
      byte[] downBlocks, // [E, H, I/32, 16] uint8
      byte[] downScales, // [E, H, I/32] uint8
      float[] downBias) { // [E, H]

    public long expertBytes() {
      return (long) gateUpBlocks.length + gateUpScales.length + downBlocks.length + downScales.length;
    }
  }

  public ModelWeights(ModelConfig config, float[] embedTokens, float[] norm, float[] lmHead, List<Layer> layers) {
    this.config = config;
    this.embedTokens = embedTokens;
    this.norm = norm;
    this.lmHead = lmHead;
    this.layers = List.copyOf(layers);
  }

  /**
   * The expected dimensions of the checkpoint's tensors, each naming the config.json keys it comes from (so that a
   * file that disagrees with the config is reported with the key).
   */
  public record TensorDims(Dim vocab, Dim hidden, Dim q, Dim kv, Dim experts, Dim gateUpRows, Dim hiddenBlocks,
      Dim interBlocks, Dim heads, Dim blockBytes) {
    public static TensorDims of(ModelConfig c) {
      return new TensorDims(new Dim(c.vocabSize(), "vocab_size"), new Dim(c.hiddenSize(), "hidden_size"),
          new Dim(c.qDim(), "num_attention_heads*head_dim"), new Dim(c.kvDim(), "num_key_value_heads*head_dim"),
          new Dim(c.numLocalExperts(), "num_local_experts"), new Dim(2L * c.intermediateSize(), "2*intermediate_size"),
          new Dim(c.hiddenSize() / Mxfp4.BLOCK, "hidden_size/32"),
          new Dim(c.intermediateSize() / Mxfp4.BLOCK, "intermediate_size/32"),
          new Dim(c.numAttentionHeads(), "num_attention_heads"), Dim.of(Mxfp4.BYTES_PER_BLOCK));
    }
  }

  /**
   * Loads every tensor the config implies, checking names, shapes and dtypes; a dimension that
   * disagrees with config.json is reported with the config key it comes from.
   */
  public static ModelWeights load(Checkpoint ckpt) {
    ModelConfig c = ckpt.config();
    TensorDims d = TensorDims.of(c);
    Dim v = d.vocab(), h = d.hidden(), q = d.q(), k = d.kv(), e = d.experts(), i2 = d.gateUpRows(),
        hBlocks = d.hiddenBlocks(), iBlocks = d.interBlocks(), heads = d.heads(), b16 = d.blockBytes();
    checkLayout(ckpt);
    float[] embed = ckpt.readFloats("model.embed_tokens.weight", v, h);
    float[] norm = ckpt.readFloats("model.norm.weight", h);
    float[] lmHead = ckpt.readFloats("lm_head.weight", v, h);
    List<Layer> layers = new ArrayList<>();
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".";
      String a = p + "self_attn.";
      String x = p + "mlp.experts.";
      layers.add(new Layer(
          ckpt.readFloats(p + "input_layernorm.weight", h),
          ckpt.readFloats(p + "post_attention_layernorm.weight", h),
          ckpt.readFloats(a + "q_proj.weight", q, h), ckpt.readFloats(a + "q_proj.bias", q),
          ckpt.readFloats(a + "k_proj.weight", k, h), ckpt.readFloats(a + "k_proj.bias", k),
          ckpt.readFloats(a + "v_proj.weight", k, h), ckpt.readFloats(a + "v_proj.bias", k),
          ckpt.readFloats(a + "o_proj.weight", h, q), ckpt.readFloats(a + "o_proj.bias", h),
          ckpt.readFloats(a + "sinks", heads),
          ckpt.readFloats(p + "mlp.router.weight", e, h), ckpt.readFloats(p + "mlp.router.bias", e),
          ckpt.readBytes(x + "gate_up_proj_blocks", e, i2, hBlocks, b16),
          ckpt.readBytes(x + "gate_up_proj_scales", e, i2, hBlocks),
          ckpt.readFloats(x + "gate_up_proj_bias", e, i2),
          ckpt.readBytes(x + "down_proj_blocks", e, h, iBlocks, b16),
          ckpt.readBytes(x + "down_proj_scales", e, h, iBlocks),
          ckpt.readFloats(x + "down_proj_bias", e, h)));
    }
    return new ModelWeights(c, embed, norm, lmHead, layers);
  }

  /**
   * Checks what the tensor list says before any tensor is read: as many layers as config.json's num_hidden_layers,
   * experts in MXFP4 (not dequantized).
   */
  public static void checkLayout(Checkpoint ckpt) {
    checkLayerCount(ckpt);
    for (int l = 0; l < ckpt.config().numHiddenLayers(); l++) {
      String x = "model.layers." + l + ".mlp.experts.";
      if (!ckpt.has(x + "gate_up_proj_blocks") && ckpt.has(x + "gate_up_proj")) {
        throw new CheckpointException(ckpt.fileOf(x + "gate_up_proj") + ": tensor '" + x + "gate_up_proj' is a"
            + " dequantized expert weight; this engine keeps experts in MXFP4 and needs '" + x + "gate_up_proj_blocks'"
            + " and '_scales' as published");
      }
    }
  }

  /** config.json's num_hidden_layers must match the layers the tensors hold, in both directions. */
  private static void checkLayerCount(Checkpoint ckpt) {
    int layers = ckpt.config().numHiddenLayers();
    Path config = ckpt.dir().resolve(Checkpoint.CONFIG);
    int max = -1;
    for (String name : ckpt.tensorNames()) {
      if (!name.startsWith("model.layers.")) continue;
      int dot = name.indexOf('.', "model.layers.".length());
      if (dot < 0) continue;
      try {
        max = Math.max(max, Integer.parseInt(name.substring("model.layers.".length(), dot)));
      } catch (NumberFormatException ignored) {
        // not a layer tensor; unknown extra tensors are ignored
      }
    }
    if (max >= layers) {
      throw new CheckpointException(config + ": config key 'num_hidden_layers' is " + layers + " but "
          + ckpt.fileOf(firstOfLayer(ckpt, max)) + " holds tensors of layer " + max + " (e.g. '"
          + firstOfLayer(ckpt, max) + "')");
    }
    if (max < layers - 1) {
      throw new CheckpointException(config + ": config key 'num_hidden_layers' is " + layers + " but the checkpoint"
          + " has tensors for " + (max + 1) + " layers only (no 'model.layers." + (max + 1) + ".*' in "
          + ckpt.files() + ")");
    }
  }

  private static String firstOfLayer(Checkpoint ckpt, int layer) {
    String prefix = "model.layers." + layer + ".";
    return ckpt.tensorNames().stream().filter(n -> n.startsWith(prefix)).findFirst().orElseThrow();
  }

  public long expertBytes() {
    return layers.stream().mapToLong(Layer::expertBytes).sum();
  }
}
