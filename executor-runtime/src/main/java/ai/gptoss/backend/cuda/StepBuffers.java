package ai.gptoss.backend.cuda;

import ai.gptoss.model.ModelConfig;
import java.util.EnumMap;
import java.util.Map;

/**
 * The per-step device buffers of the forward pass, each declared once in {@link Buffer} by name
 * and size (a formula of the model's shapes, the step's tokens t and output rows r), and placed in
 * one arena by one loop in declaration order: a size cannot be paired with the wrong buffer.
 */
final class StepBuffers implements AutoCloseable {
  /** Bytes of one buffer for a step of {@code t} tokens and {@code r} output rows. */
  @FunctionalInterface
  interface Size {
    long bytes(ModelConfig c, long t, long r);
  }

  /** Every step buffer, in arena order, with its size. */
  enum Buffer {
    X((c, t, r) -> t * c.hiddenSize() * 4),
    H((c, t, r) -> t * c.hiddenSize() * 2),
    QKV((c, t, r) -> t * (c.qDim() + 2L * c.kvDim()) * 4),
    Q((c, t, r) -> t * c.qDim() * 4),
    ATTN((c, t, r) -> t * c.qDim() * 2),
    TMP((c, t, r) -> t * c.hiddenSize() * 4),
    ROUTER_LOGITS((c, t, r) -> t * c.numLocalExperts() * 4),
    EXPERT_IDS((c, t, r) -> t * c.numExpertsPerTok() * 4),
    EXPERT_WEIGHTS((c, t, r) -> t * c.numExpertsPerTok() * 4),
    COUNTS((c, t, r) -> c.numLocalExperts() * 4L),
    CURSOR((c, t, r) -> c.numLocalExperts() * 4L),
    TILES((c, t, r) -> 3L * ExpertGemmPlan.maxTilesAnyKernel((int) t, c.numExpertsPerTok(), c.numLocalExperts()) * 4),
    NUM_TILES((c, t, r) -> 4),
    ASSIGN((c, t, r) -> t * c.numExpertsPerTok() * 4),
    ACT((c, t, r) -> t * c.numExpertsPerTok() * c.intermediateSize() * 2),
    Y((c, t, r) -> t * c.numExpertsPerTok() * c.hiddenSize() * 4),
    HN((c, t, r) -> r * c.hiddenSize() * 2),
    LOGITS((c, t, r) -> r * c.vocabSize() * 4),
    SAMPLED((c, t, r) -> r * 4),
    H_LO((c, t, r) -> t * c.hiddenSize() * 2),
    ATTN_LO((c, t, r) -> t * c.qDim() * 2),
    ACT_LO((c, t, r) -> t * c.numExpertsPerTok() * c.intermediateSize() * 2),
    HN_LO((c, t, r) -> r * c.hiddenSize() * 2),
    /** Split-K partials of attention_mma: bounded by AttentionPlan, not by t. */
    ATTN_PARTIALS((c, t, r) -> AttentionPlan.partialFloats(c.headDim()) * 4L),
    /** The tensor-core gemv's tiles of the experts' short last parts (GPTOSS_CUDA_MOE_TAILS, moe_group). */
    TAIL_TILES((c, t, r) -> 3L * ExpertGemmPlan.maxTailTiles(c.numLocalExperts()) * 4),
    NUM_TAIL_TILES((c, t, r) -> 4);

    final Size size;

    Buffer(Size size) {
      this.size = size;
    }
  }

  final int tokens, rows;
  final DeviceArena arena;
  private final Map<Buffer, Long> address = new EnumMap<>(Buffer.class);
  /** Short names of {@link #address}'s entries for the kernel argument lists (StepBuffersTest checks each). */
  final long x, h, qkv, q, attn, tmp, routerLogits, expertIds, expertWeights, counts, cursor, tiles, numTiles, assign,
      act, y, hn, logits, sampled, hLo, attnLo, actLo, hnLo, attnPartials, tailTiles, numTailTiles;

  /** Device bytes of the buffers for steps of up to {@code t} tokens and {@code r} output rows. */
  static long bytes(ModelConfig c, int t, int r) {
    return DeviceArena.alignedTotal(sizes(c, t, r));
  }

  private static long[] sizes(ModelConfig c, long t, long r) {
    Buffer[] all = Buffer.values();
    long[] s = new long[all.length];
    for (Buffer b : all) s[b.ordinal()] = b.size.bytes(c, t, r);
    return s;
  }

  StepBuffers(ModelConfig c, int t, int r) {
    this(t, r, new DeviceArena("step workspace for " + t + " tokens, " + r + " output rows", bytes(c, t, r)), c);
  }

  /** The buffers placed in {@code arena} (a {@link DeviceArena#layoutOnly} one in tests). */
  StepBuffers(int t, int r, DeviceArena arena, ModelConfig c) {
    tokens = t;
    rows = r;
    this.arena = arena;
    for (Buffer b : Buffer.values()) address.put(b, arena.alloc(b.size.bytes(c, t, r)));
    x = at(Buffer.X);
    h = at(Buffer.H);
    qkv = at(Buffer.QKV);
    q = at(Buffer.Q);
    attn = at(Buffer.ATTN);
    tmp = at(Buffer.TMP);
    routerLogits = at(Buffer.ROUTER_LOGITS);
    expertIds = at(Buffer.EXPERT_IDS);
    expertWeights = at(Buffer.EXPERT_WEIGHTS);
    counts = at(Buffer.COUNTS);
    cursor = at(Buffer.CURSOR);
    tiles = at(Buffer.TILES);
    numTiles = at(Buffer.NUM_TILES);
    assign = at(Buffer.ASSIGN);
    act = at(Buffer.ACT);
    y = at(Buffer.Y);
    hn = at(Buffer.HN);
    logits = at(Buffer.LOGITS);
    sampled = at(Buffer.SAMPLED);
    hLo = at(Buffer.H_LO);
    attnLo = at(Buffer.ATTN_LO);
    actLo = at(Buffer.ACT_LO);
    hnLo = at(Buffer.HN_LO);
    attnPartials = at(Buffer.ATTN_PARTIALS);
    tailTiles = at(Buffer.TAIL_TILES);
    numTailTiles = at(Buffer.NUM_TAIL_TILES);
  }

  /** The device address of {@code b}. */
  long at(Buffer b) {
    return address.get(b);
  }

  @Override
  public void close() {
    arena.close();
  }
}
