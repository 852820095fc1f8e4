package ai.gptoss.backend.cuda;

import ai.gptoss.backend.parallel.ParallelPlan.Range;

/**
 * What makes a {@link CudaBackend} one rank of an engine spanning several GPUs (docs/multi-gpu.md): its rank number,
 * the experts whose weights it holds ({@code [firstExpert, firstExpert + heldExperts)}: all E with tensor-parallel
 * experts, its E/N with expert parallelism), the vocabulary rows of the embedding and the LM head it holds
 * ({@code vocab}: all V with one rank), and the collectives its forward pass sums the partial embedding, o_proj, expert
 * and logits outputs with.
 */
record DeviceRank(int rank, int firstExpert, int heldExperts, Range vocab, DeviceCollectives collectives) {
  DeviceRank {
    if (rank < 0 || rank >= collectives.size()) {
      throw new IllegalArgumentException("rank " + rank + " outside 0.." + (collectives.size() - 1));
    }
    if (firstExpert < 0 || heldExperts < 1) {
      throw new IllegalArgumentException("experts [" + firstExpert + ", " + (firstExpert + heldExperts) + ") held");
    }
    if (vocab.from() < 0 || vocab.size() < 1) {
      throw new IllegalArgumentException("vocabulary rows [" + vocab.from() + ", " + vocab.to() + ") held");
    }
  }

  /** Whether this rank holds only part of the vocabulary of {@code vocabSize} rows (its embedding and logits are summed). */
  boolean splitsVocab(int vocabSize) {
    return vocab.from() > 0 || vocab.to() < vocabSize;
  }
}
