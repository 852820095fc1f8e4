package ai.gptoss.backend.cuda;

/**
 * How one step routes its tokens to experts (moe_route.cu): {@code moe_route_small}, one block that
 * zeroes the counts, picks the top k, cuts the tiles and scatters the rows, when the step has at most
 * {@link #SMALL_MAX_ASSIGNMENTS} (token, expert) rows and at most {@link #SMALL_MAX_EXPERTS} experts;
 * else the four launches (memset, {@code moe_topk}, {@code moe_group}, {@code moe_scatter}). Chosen
 * from the step's shape only, never from device data, so a step's launches can be captured once per
 * shape and replayed. Both paths give the same expert ids, weights and tiles. {@code
 * GPTOSS_CUDA_ROUTE=split} keeps the four launches for every step (the slow twin, for comparisons).
 */
final class RoutePlan {
  /** ROUTE_SMALL_MAX in moe_route.cu: one thread per assignment in a block of 256. */
  static final int SMALL_MAX_ASSIGNMENTS = 256;
  /** ROUTE_MAX_EXPERTS in moe_route.cu (shared counts and cursors). */
  static final int SMALL_MAX_EXPERTS = 256;
  /** Threads of moe_route_small's single block. */
  static final int SMALL_THREADS = 256;

  private RoutePlan() {}

  /** GPTOSS_CUDA_ROUTE: "split" forces the four launches; unset, blank or "auto" chooses by shape. */
  static boolean splitForced(String env) {
    if (env == null || env.isBlank() || env.trim().equalsIgnoreCase("auto")) return false;
    if (env.trim().equalsIgnoreCase("split")) return true;
    throw new IllegalArgumentException("GPTOSS_CUDA_ROUTE must be auto or split, not " + env);
  }

  /** Whether a step of {@code tokens} tokens routes with the one-block kernel. */
  static boolean small(int tokens, int topK, int experts) {
    return (long) tokens * topK <= SMALL_MAX_ASSIGNMENTS && experts <= SMALL_MAX_EXPERTS && topK <= 8;
  }
}
