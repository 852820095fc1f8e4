package ai.gptoss.backend.cuda;

/**
 * What makes a {@link CudaBackend} one rank of an engine spanning several GPUs (docs/multi-gpu.md): its rank number,
 * the experts whose weights it holds ({@code [firstExpert, firstExpert + heldExperts)}: all E with tensor-parallel
 * experts, its E/N with expert parallelism), and the collectives its forward pass sums the partial o_proj and expert
 * outputs with.
 */
record DeviceRank(int rank, int firstExpert, int heldExperts, DeviceCollectives collectives) {
  DeviceRank {
    if (rank < 0 || rank >= collectives.size()) {
      throw new IllegalArgumentException("rank " + rank + " outside 0.." + (collectives.size() - 1));
    }
    if (firstExpert < 0 || heldExperts < 1) {
      throw new IllegalArgumentException("experts [" + firstExpert + ", " + (firstExpert + heldExperts) + ") held");
    }
  }
}
