package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.model.ModelConfig;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Each step buffer gets the size its declaration names, placed in declaration order, and each short
 * field name reads its own buffer's address.
 */
class StepBuffersTest {
  private static final int[][] SHAPES = {{1, 1}, {7, 3}, {256, 256}, {16384, 1024}};

  /**
   * The sizes as the pre-declaration Workspace listed them by position (x, h, qkv, q, attn, tmp,
   * routerLogits, expertIds, expertWeights, counts, cursor, tiles, numTiles, assign, act, y, hn,
   * logits, sampled, hLo, attnLo, actLo, hnLo, attnPartials), then the tail tiles of GPTOSS_CUDA_MOE_TAILS (tailTiles,
   * numTailTiles: 32 rows in tiles of 8, 4 per expert): the reference the named ones must keep.
   */
  private static long[] positionalSizes(ModelConfig c, long t, long r) {
    long H = c.hiddenSize(), Q = c.qDim(), KV = c.kvDim(), E = c.numLocalExperts(), k = c.numExpertsPerTok(),
        I = c.intermediateSize(), V = c.vocabSize();
    return new long[] {t * H * 4, t * H * 2, t * (Q + 2 * KV) * 4, t * Q * 4, t * Q * 2, t * H * 4, t * E * 4, t * k * 4,
        t * k * 4, E * 4, E * 4, 3L * ExpertGemmPlan.maxTilesAnyKernel((int) t, (int) k, (int) E) * 4, 4, t * k * 4,
        t * k * I * 2, t * k * H * 4, r * H * 2, r * V * 4, r * 4, t * H * 2, t * Q * 2, t * k * I * 2, r * H * 2,
        AttentionPlan.partialFloats(c.headDim()) * 4, 3L * 4 * E * 4, 4};
  }

  private static final String[] POSITIONAL_NAMES = {"x", "h", "qkv", "q", "attn", "tmp", "routerLogits", "expertIds",
      "expertWeights", "counts", "cursor", "tiles", "numTiles", "assign", "act", "y", "hn", "logits", "sampled", "hLo",
      "attnLo", "actLo", "hnLo", "attnPartials", "tailTiles", "numTailTiles"};

  @Test
  void sizesAndOrderAreThoseOfThePositionalLayout() {
    StepBuffers.Buffer[] all = StepBuffers.Buffer.values();
    assertEquals(POSITIONAL_NAMES.length, all.length);
    for (String model : new String[] {"gpt-oss-20b", "gpt-oss-120b"}) {
      ModelConfig c = SyntheticModels.config(model);
      for (int[] s : SHAPES) {
        long[] expected = positionalSizes(c, s[0], s[1]);
        for (StepBuffers.Buffer b : all) {
          assertEquals(POSITIONAL_NAMES[b.ordinal()], camel(b), "buffer " + b.ordinal());
          assertEquals(expected[b.ordinal()], b.size.bytes(c, s[0], s[1]), b + " at " + s[0] + " tokens, " + s[1] + " rows");
        }
        assertEquals(DeviceArena.alignedTotal(expected), StepBuffers.bytes(c, s[0], s[1]));
      }
    }
  }

  @Test
  void buffersArePlacedInDeclarationOrderAndEachFieldReadsItsOwnBuffer() throws ReflectiveOperationException {
    ModelConfig c = SyntheticModels.config("gpt-oss-20b");
    for (int[] s : SHAPES) {
      StepBuffers ws = new StepBuffers(s[0], s[1], DeviceArena.layoutOnly("test", StepBuffers.bytes(c, s[0], s[1])), c);
      long offset = 0;
      for (StepBuffers.Buffer b : StepBuffers.Buffer.values()) {
        assertEquals(offset, ws.at(b), b.toString());
        assertEquals(ws.at(b), StepBuffers.class.getDeclaredField(camel(b)).getLong(ws), "field " + camel(b));
        offset += DeviceArena.aligned(b.size.bytes(c, s[0], s[1]));
      }
      assertEquals(ws.arena.capacity(), ws.arena.used());
    }
  }

  /** ROUTER_LOGITS -> routerLogits, H_LO -> hLo. */
  private static String camel(StepBuffers.Buffer b) {
    StringBuilder out = new StringBuilder();
    for (String part : b.name().toLowerCase(Locale.ROOT).split("_")) {
      out.append(out.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
    }
    return out.toString();
  }
}
