package ai.gptoss.backend.parallel;

import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.Mxfp4;

/**
 * How {@code tensorParallelSize} ranks (GPUs, or the CPU twin's simulated ranks) share one model, Megatron-style as
 * vLLM runs gpt-oss:
 * <ul>
 *   <li>attention: each rank owns {@code num_attention_heads / N} query heads with their sinks, and the K/V heads those
 *       query heads read: {@code num_key_value_heads / N} of them, or, where N exceeds the K/V heads, the one K/V head
 *       of its query heads (replicated on {@code N / num_key_value_heads} ranks, as vLLM does). q/k/v are
 *       column-parallel (rows of the weight), o_proj row-parallel (columns) followed by an all-reduce;
 *   <li>experts, tensor parallel: every expert's intermediate dimension is split at MXFP4 block boundaries
 *       (gate_up column-parallel, down row-parallel, one all-reduce of the layer's expert output);
 *   <li>experts, {@code expertParallel}: each rank owns {@code num_local_experts / N} whole experts; tokens are
 *       dispatched to the ranks owning their top-k experts and combined back in routing order (attention stays
 *       tensor parallel, as with vLLM's {@code --enable-expert-parallel});
 *   <li>the router, the RMSNorms and the residual stream are replicated; the embedding and the LM head are
 *       vocab-parallel (rows split; the embedding's lookups all-reduced, the logits all-gathered).
 * </ul>
 * With one rank and no expert parallelism this is the single-device model.
 *
 * @param tensorParallelSize the number of ranks N (at least 1)
 * @param expertParallel experts placed across the N ranks instead of split within each
 */
public record ParallelPlan(int tensorParallelSize, boolean expertParallel) {
  public static final ParallelPlan SINGLE = new ParallelPlan(1, false);

  /** Expert parallelism over one rank is no parallelism: it is normalized away, so the two plans are equal. */
  public ParallelPlan {
    if (tensorParallelSize < 1) {
      throw new IllegalArgumentException("tensor_parallel_size must be at least 1, got " + tensorParallelSize);
    }
    if (tensorParallelSize == 1) expertParallel = false;
  }

  /**
   * Parses {@code tensor_parallel_size} (a whole number from 1) as given by {@code source} (the option, flag or conf
   * key its error names); null or blank is 1.
   */
  public static int parseSize(String value, String source) {
    if (value == null || value.isBlank()) return 1;
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 1) return n;
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(source + "=" + value + ": expected a whole number of ranks (GPUs) from 1");
  }

  /** The half-open interval {@code [from, to)} of one dimension that a rank owns. */
  public record Range(int from, int to) {
    public int size() {
      return to - from;
    }
  }

  public int ranks() {
    return tensorParallelSize;
  }

  /** More than one rank. */
  public boolean parallel() {
    return tensorParallelSize > 1;
  }

  /** "tp2", "tp4-ep": how logs and backend names show the plan. */
  public String label() {
    return "tp" + tensorParallelSize + (expertParallel ? "-ep" : "");
  }

  /**
   * Throws unless {@code c} splits over the ranks: {@code num_attention_heads} divisible by N;
   * {@code num_key_value_heads} divisible by N, or N by it; tensor parallel experts: at least N MXFP4 blocks
   * ({@code intermediate_size / 32 >= N}, split as evenly as whole blocks allow); expert parallel:
   * {@code num_local_experts} divisible by N. The message names the setting and the config key.
   */
  public void check(ModelConfig c) {
    int n = tensorParallelSize;
    String what = "tensor_parallel_size=" + n + (expertParallel ? " with expert_parallel" : "") + ": ";
    if (c.numAttentionHeads() % n != 0) {
      throw new IllegalArgumentException(what + "num_attention_heads=" + c.numAttentionHeads()
          + " is not divisible by " + n + " (attention heads are split evenly across the ranks)");
    }
    int kv = c.numKeyValueHeads();
    if (kv % n != 0 && n % kv != 0) {
      throw new IllegalArgumentException(what + "num_key_value_heads=" + kv + " neither divides nor is divisible by "
          + n + " (K/V heads are split across the ranks, or replicated when there are fewer than ranks)");
    }
    if (expertParallel) {
      if (c.numLocalExperts() % n != 0) {
        throw new IllegalArgumentException(what + "num_local_experts=" + c.numLocalExperts() + " is not divisible by "
            + n + " (each rank owns the same number of whole experts)");
      }
    } else if (c.intermediateSize() / Mxfp4.BLOCK < n) {
      throw new IllegalArgumentException(what + "intermediate_size=" + c.intermediateSize() + " is "
          + c.intermediateSize() / Mxfp4.BLOCK + " MXFP4 blocks of " + Mxfp4.BLOCK + ", fewer than " + n
          + " ranks (each rank's share of an expert is whole blocks); use expert_parallel or fewer ranks");
    }
  }

  /** The query heads (and their sinks) rank {@code r} owns. */
  public Range heads(ModelConfig c, int r) {
    return split(c.numAttentionHeads(), r);
  }

  /** The K/V heads rank {@code r} owns: its share, or the one its query heads read when there are fewer than ranks. */
  public Range kvHeads(ModelConfig c, int r) {
    int kv = c.numKeyValueHeads();
    if (kv >= tensorParallelSize) return split(kv, r);
    int group = c.numAttentionHeads() / kv;
    int first = heads(c, r).from() / group;
    return new Range(first, first + 1);
  }

  /** The MXFP4 blocks of every expert's intermediate dimension rank {@code r} computes (all with expert parallel). */
  public Range intermediateBlocks(ModelConfig c, int r) {
    int blocks = c.intermediateSize() / Mxfp4.BLOCK;
    return expertParallel ? new Range(0, blocks) : split(blocks, r);
  }

  /** The experts rank {@code r} holds (all with tensor-parallel experts). */
  public Range experts(ModelConfig c, int r) {
    return expertParallel ? split(c.numLocalExperts(), r) : new Range(0, c.numLocalExperts());
  }

  /** The vocabulary rows of the embedding and the LM head rank {@code r} holds. */
  public Range vocab(ModelConfig c, int r) {
    return split(c.vocabSize(), r);
  }

  /**
   * The shapes rank {@code r} computes with, as a config: its query heads, its K/V heads and (tensor-parallel experts)
   * its share of every expert's width; the vocabulary, the hidden size and the number of experts the router chooses
   * among stay whole (an expert-parallel rank holds the weights of {@link #experts} of them).
   */
  public ModelConfig rankConfig(ModelConfig c, int r) {
    return new ModelConfig(c.vocabSize(), c.hiddenSize(), intermediateBlocks(c, r).size() * Mxfp4.BLOCK,
        c.numHiddenLayers(), heads(c, r).size(), kvHeads(c, r).size(), c.headDim(), c.numLocalExperts(),
        c.numExpertsPerTok(), c.slidingWindow(), c.rmsNormEps(), c.ropeTheta(), c.ropeScaling(), c.swigluLimit(),
        c.layerTypes(), c.eosTokenIds(), c.padTokenId(), c.maxPositionEmbeddings(), c.quantMethod());
  }

  /** The rank holding expert {@code e} with expert parallelism. */
  public int ownerOfExpert(ModelConfig c, int e) {
    return e / (c.numLocalExperts() / tensorParallelSize);
  }

  /** Rank {@code r}'s part of {@code n} things: {@code [r*n/N, (r+1)*n/N)}, sizes differing by at most one. */
  public Range split(int n, int r) {
    if (r < 0 || r >= tensorParallelSize) {
      throw new IllegalArgumentException("rank " + r + " outside 0.." + (tensorParallelSize - 1));
    }
    return new Range((int) ((long) r * n / tensorParallelSize), (int) ((long) (r + 1) * n / tensorParallelSize));
  }
}
