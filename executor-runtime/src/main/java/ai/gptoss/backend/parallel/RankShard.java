package ai.gptoss.backend.parallel;

import ai.gptoss.backend.cpu.CpuAttention;
import ai.gptoss.backend.cpu.CpuMoe;
import ai.gptoss.backend.parallel.ParallelPlan.Range;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.Checkpoint.Dim;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import ai.gptoss.model.ModelWeights.TensorDims;
import ai.gptoss.model.Mxfp4;
import java.util.ArrayList;
import java.util.List;

/**
 * One rank's part of the weights, as {@link ParallelPlan} assigns it, read from the checkpoint by slices so that the
 * rank never holds more than its part: vocabulary rows of the embedding and the LM head; its query heads' rows of
 * q_proj (with bias and sinks), its K/V heads' rows of k_proj and v_proj, its query heads' columns of o_proj; its
 * experts, or its MXFP4 blocks of every expert's intermediate dimension (gate_up rows, down blocks). The RMSNorms
 * and the router are replicated; the biases of the row-parallel products (o_proj, tensor-parallel down) are held by
 * rank 0 only, since they are added once. A CUDA rank ({@link Replication#CUDA}) holds the o_proj bias whole instead.
 */
public final class RankShard {
  /** Which tensors a rank holds beyond its split ones: the CPU twin's, or a CUDA rank's. */
  public enum Replication {
    /** Vocab-parallel embedding and LM head; the o_proj bias on rank 0, which adds it before the all-reduce. */
    TWIN,
    /**
     * Vocab-parallel embedding and LM head as the twin's (the CUDA ranks sum the embedding and gather the logits with
     * an all-reduce), and the o_proj bias on every rank: the CUDA forward pass adds it after the all-reduce, in the norm
     * that follows.
     */
    CUDA
  }

  final int rank;
  /** The shapes this rank computes with ({@link ParallelPlan#rankConfig}). */
  final ModelConfig config;
  final Range experts;
  final Range vocab;
  final Range heads;
  final Range kvHeads;
  final float[] embed; // [vocab part, H]
  final float[] norm; // [H]
  final float[] lmHead; // [vocab part, H]
  final List<Layer> layers;

  /** One decoder layer's part; {@code oBias} is null on ranks other than 0. */
  record Layer(float[] inputLayernorm, float[] postAttentionLayernorm, CpuAttention.Weights attention, float[] oProj,
      float[] oBias, float[] routerWeight, float[] routerBias, CpuMoe.Experts experts) {}

  private RankShard(int rank, ModelConfig config, Range experts, Range vocab, Range heads, Range kvHeads, float[] embed,
      float[] norm, float[] lmHead, List<Layer> layers) {
    this.rank = rank;
    this.config = config;
    this.experts = experts;
    this.vocab = vocab;
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.embed = embed;
    this.norm = norm;
    this.lmHead = lmHead;
    this.layers = List.copyOf(layers);
  }

  /** Reads rank {@code rank}'s part of every tensor; {@code plan} must have been checked against the config. */
  public static RankShard load(Checkpoint ckpt, ParallelPlan plan, int rank) {
    return load(ckpt, plan, rank, Replication.TWIN);
  }

  /** As {@link #load(Checkpoint, ParallelPlan, int)}, holding what {@code replication} says beyond the split tensors. */
  public static RankShard load(Checkpoint ckpt, ParallelPlan plan, int rank, Replication replication) {
    ModelConfig c = ckpt.config();
    TensorDims d = TensorDims.of(c);
    int hd = c.headDim();
    boolean cuda = replication == Replication.CUDA;
    Range vocab = plan.vocab(c, rank), heads = plan.heads(c, rank), kv = plan.kvHeads(c, rank);
    Range experts = plan.experts(c, rank), blocks = plan.intermediateBlocks(c, rank);
    Dim h = d.hidden(), e = d.experts();
    float[] embed = ckpt.readFloatSlice("model.embed_tokens.weight", 0, vocab.from(), vocab.to(), d.vocab(), h);
    float[] lmHead = ckpt.readFloatSlice("lm_head.weight", 0, vocab.from(), vocab.to(), d.vocab(), h);
    float[] norm = ckpt.readFloats("model.norm.weight", h);
    List<Layer> layers = new ArrayList<>();
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".";
      String a = p + "self_attn.";
      String x = p + "mlp.experts.";
      int q0 = heads.from() * hd, q1 = heads.to() * hd, k0 = kv.from() * hd, k1 = kv.to() * hd;
      // Tensor parallel: gate_up rows (gate and up interleave, so intermediate columns [i0, i1) are rows
      // [2*i0, 2*i1)) and down's blocks along its input; otherwise whole experts.
      boolean split = !plan.expertParallel() && plan.parallel();
      Cut gateUp = split ? new Cut(1, 2 * blocks.from() * Mxfp4.BLOCK, 2 * blocks.to() * Mxfp4.BLOCK)
          : new Cut(0, experts.from(), experts.to());
      Cut down = split ? new Cut(2, blocks.from(), blocks.to()) : new Cut(0, experts.from(), experts.to());
      CpuMoe.Experts ex = new CpuMoe.Experts(experts.from(), experts.size(), c.hiddenSize(), blocks.size() * Mxfp4.BLOCK,
          gateUp.bytes(ckpt, x + "gate_up_proj_blocks", e, d.gateUpRows(), d.hiddenBlocks(), d.blockBytes()),
          gateUp.bytes(ckpt, x + "gate_up_proj_scales", e, d.gateUpRows(), d.hiddenBlocks()),
          gateUp.floats(ckpt, x + "gate_up_proj_bias", e, d.gateUpRows()),
          down.bytes(ckpt, x + "down_proj_blocks", e, h, d.interBlocks(), d.blockBytes()),
          down.bytes(ckpt, x + "down_proj_scales", e, h, d.interBlocks()),
          split && rank > 0 ? null : new Cut(0, experts.from(), experts.to()).floats(ckpt, x + "down_proj_bias", e, h));
      layers.add(new Layer(
          ckpt.readFloats(p + "input_layernorm.weight", h),
          ckpt.readFloats(p + "post_attention_layernorm.weight", h),
          new CpuAttention.Weights(
              ckpt.readFloatSlice(a + "q_proj.weight", 0, q0, q1, d.q(), h),
              ckpt.readFloatSlice(a + "q_proj.bias", 0, q0, q1, d.q()),
              ckpt.readFloatSlice(a + "k_proj.weight", 0, k0, k1, d.kv(), h),
              ckpt.readFloatSlice(a + "k_proj.bias", 0, k0, k1, d.kv()),
              ckpt.readFloatSlice(a + "v_proj.weight", 0, k0, k1, d.kv(), h),
              ckpt.readFloatSlice(a + "v_proj.bias", 0, k0, k1, d.kv()),
              ckpt.readFloatSlice(a + "sinks", 0, heads.from(), heads.to(), d.heads())),
          ckpt.readFloatSlice(a + "o_proj.weight", 1, q0, q1, h, d.q()),
          rank == 0 || cuda ? ckpt.readFloats(a + "o_proj.bias", h) : null,
          ckpt.readFloats(p + "mlp.router.weight", e, h), ckpt.readFloats(p + "mlp.router.bias", e), ex));
    }
    return new RankShard(rank, plan.rankConfig(c, rank), experts, vocab, heads, kv, embed, norm, lmHead, layers);
  }

  /**
   * This shard as the weights of a model of the rank's shapes ({@link #config}), as a CUDA rank uploads them: the
   * down biases that only rank 0 holds are zeros on the others (tensor-parallel experts: added once, before the sum).
   * With expert parallelism the expert tensors hold {@link #experts}' experts only; the embedding and the LM head
   * hold the {@link #vocab} rows only. A shard loaded for the twin has no o_proj bias on ranks other than 0: refused.
   */
  public ModelWeights weights() {
    if (layers.stream().anyMatch(l -> l.oBias() == null)) {
      throw new IllegalStateException("rank " + rank + " holds no o_proj bias: load it with " + Replication.CUDA);
    }
    int h = config.hiddenSize();
    List<ModelWeights.Layer> out = new ArrayList<>();
    for (Layer l : layers) {
      CpuAttention.Weights a = l.attention();
      CpuMoe.Experts e = l.experts();
      out.add(new ModelWeights.Layer(l.inputLayernorm(), l.postAttentionLayernorm(), a.qProj(), a.qBias(), a.kProj(),
          a.kBias(), a.vProj(), a.vBias(), l.oProj(), l.oBias(), a.sinks(), l.routerWeight(), l.routerBias(),
          e.gateUpBlocks(), e.gateUpScales(), e.gateUpBias(), e.downBlocks(), e.downScales(),
          e.downBias() != null ? e.downBias() : new float[e.count() * h]));
    }
    return new ModelWeights(config, embed, norm, lmHead, out);
  }

  /** The shapes this rank computes with. */
  public ModelConfig config() {
    return config;
  }

  /** The vocabulary rows of the embedding and the LM head this rank holds. */
  public Range vocab() {
    return vocab;
  }

  /** The experts whose weights this rank holds. */
  public Range experts() {
    return experts;
  }

  /** The part {@code [from, to)} of a tensor along {@code axis}. */
  private record Cut(int axis, long from, long to) {
    byte[] bytes(Checkpoint ckpt, String name, Dim... dims) {
      return ckpt.readByteSlice(name, axis, from, to, dims);
    }

    float[] floats(Checkpoint ckpt, String name, Dim... dims) {
      return ckpt.readFloatSlice(name, axis, from, to, dims);
    }
  }

  /** Bytes of weights this rank holds. */
  public long bytes() {
    long b = floatBytes(embed, norm, lmHead);
    for (Layer l : layers) {
      CpuAttention.Weights a = l.attention();
      CpuMoe.Experts e = l.experts();
      b += floatBytes(l.inputLayernorm(), l.postAttentionLayernorm(), a.qProj(), a.qBias(), a.kProj(), a.kBias(),
          a.vProj(), a.vBias(), a.sinks(), l.oProj(), l.oBias(), l.routerWeight(), l.routerBias(), e.gateUpBias(),
          e.downBias());
      b += (long) e.gateUpBlocks().length + e.gateUpScales().length + e.downBlocks().length + e.downScales().length;
    }
    return b;
  }

  private static long floatBytes(float[]... arrays) {
    long b = 0;
    for (float[] a : arrays) b += a == null ? 0 : 4L * a.length;
    return b;
  }

  public int rank() {
    return rank;
  }
}
