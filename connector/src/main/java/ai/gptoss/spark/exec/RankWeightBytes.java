package ai.gptoss.spark.exec;

import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.parallel.ParallelPlan.Range;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.SafetensorsFile.TensorInfo;
import java.nio.file.Path;
import java.util.function.ToLongFunction;

/**
 * The weight bytes one rank of an engine spanning several GPUs holds, from the checkpoint's tensor headers alone (no
 * tensor is read: this sizes the GPU memory plan before the engine loads). The shares are {@link ParallelPlan}'s
 * ranges, as {@link ai.gptoss.backend.parallel.RankShard} cuts them for a CUDA rank: q/k/v rows, sinks and o_proj
 * columns by the rank's heads; expert tensors by its MXFP4 blocks of the width (tensor parallel) or its whole experts
 * (expert parallel), the tensor-parallel down bias on rank 0 only; the embedding and the LM head by the rank's
 * vocabulary rows; the norms, the router and the o_proj bias whole. A tensor of another name counts whole.
 */
final class RankWeightBytes {
  private RankWeightBytes() {}

  /** The largest rank's weight bytes as the checkpoint stores them (what one GPU of the engine must hold). */
  static long largestRank(Path modelDir, ParallelPlan plan) {
    try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
      plan.check(ckpt.config());
      long max = 0;
      for (int r = 0; r < plan.ranks(); r++) max = Math.max(max, rank(ckpt, plan, r, t -> t.end() - t.begin()));
      return max;
    }
  }

  /** Rank {@code r}'s share of every tensor of {@code ckpt}, each tensor's whole counted as {@code size} says. */
  static long rank(Checkpoint ckpt, ParallelPlan plan, int r, ToLongFunction<TensorInfo> size) {
    ModelConfig c = ckpt.config();
    Range heads = plan.heads(c, r), kv = plan.kvHeads(c, r), vocab = plan.vocab(c, r);
    Range part = plan.expertParallel() ? plan.experts(c, r) : plan.intermediateBlocks(c, r);
    long whole = plan.expertParallel() ? c.numLocalExperts() : c.intermediateSize() / ai.gptoss.model.Mxfp4.BLOCK;
    long total = 0;
    for (String name : ckpt.tensorNames()) {
      long b = size.applyAsLong(ckpt.info(name));
      String t = name.substring(name.lastIndexOf('.') + 1);
      if (name.contains(".mlp.experts.")) {
        boolean onRankZero = t.equals("down_proj_bias") && !plan.expertParallel() && plan.parallel();
        total += onRankZero ? (r == 0 ? b : 0) : b * part.size() / whole;
      } else if (name.contains(".self_attn.q_proj.") || t.equals("sinks") || name.endsWith(".o_proj.weight")) {
        total += b * heads.size() / c.numAttentionHeads();
      } else if (name.contains(".self_attn.k_proj.") || name.contains(".self_attn.v_proj.")) {
        total += b * kv.size() / c.numKeyValueHeads();
      } else if (name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight")) {
        total += b * vocab.size() / c.vocabSize();
      } else {
        total += b;
      }
    }
    return total;
  }
}
