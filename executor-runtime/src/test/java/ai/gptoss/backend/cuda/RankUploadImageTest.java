package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.gptoss.Golden;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.parallel.ParallelPlan.Range;
import ai.gptoss.backend.parallel.RankShard;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * What a CUDA rank uploads, computed on the host: its arena image holds exactly its part of what one GPU uploads for
 * the whole model, tensor by tensor (its query heads' rows of the fused qkv and their biases and sinks, its K/V heads'
 * rows, its columns of o_proj, its experts or its MXFP4 blocks of every expert's width, in the layouts the kernels
 * read: transposed scales included), its vocabulary rows of the embedding and the LM head, the norms, the router and
 * the o_proj bias whole, and the tensor-parallel down bias on rank 0 only (zeros elsewhere).
 */
class RankUploadImageTest {
  @Test
  void eachRanksImageIsItsPartOfTheSingleGpuImage() {
    check(Golden.dir("tiny-a"), new ParallelPlan(2, false), new ParallelPlan(2, true), new ParallelPlan(4, true));
    check(EmbeddedModel.path(), new ParallelPlan(2, false), new ParallelPlan(4, false), new ParallelPlan(4, true));
  }

  private static void check(Path dir, ParallelPlan... plans) {
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      ModelWeights whole = ModelWeights.load(ckpt);
      ModelConfig c = whole.config;
      byte[] full = DeviceModel.hostImage(whole);
      DeviceModel fl = DeviceModel.layout(c, c.numLocalExperts(), c.vocabSize());
      for (ParallelPlan plan : plans) {
        plan.check(c);
        for (int r = 0; r < plan.ranks(); r++) {
          RankShard shard = RankShard.load(ckpt, plan, r, RankShard.Replication.CUDA);
          int held = shard.experts().size(), rows = plan.vocab(c, r).size();
          assertEquals(plan.vocab(c, r), shard.vocab());
          byte[] img = DeviceModel.hostImage(shard.weights(), held, rows);
          DeviceModel rl = DeviceModel.layout(shard.config(), held, rows);
          assertEquals(DeviceModel.bytes(plan.rankConfig(c, r), held, rows), img.length);
          new Compare(dir.getFileName() + " " + plan.label() + " rank " + r, c, plan, r, full, img).layers(fl, rl);
        }
      }
    }
  }

  private record Compare(String what, ModelConfig c, ParallelPlan plan, int r, byte[] full, byte[] img) {
    void layers(DeviceModel fl, DeviceModel rl) {
      long v = c.vocabSize(), h = c.hiddenSize();
      Range vocab = plan.vocab(c, r);
      expect("embed", cut(fl.embed, dims(v, h), 2, 0, vocab.from(), vocab.to()), rl.embed);
      expect("lm_head", cut(fl.lmHead, dims(v, h), 2, 0, vocab.from(), vocab.to()), rl.lmHead);
      same("norm", fl.norm, dims(h), 4, rl.norm);
      int hd = c.headDim(), q = c.qDim(), k = c.kvDim(), blocks32 = c.intermediateSize() / 32;
      Range heads = plan.heads(c, r), kv = plan.kvHeads(c, r), ex = plan.experts(c, r), ib = plan.intermediateBlocks(c, r);
      long e = c.numLocalExperts(), i2 = 2L * c.intermediateSize();
      long i0 = 2L * ib.from() * 32, i1 = 2L * ib.to() * 32;
      for (int l = 0; l < c.numHiddenLayers(); l++) {
        DeviceModel.Layer f = fl.layers.get(l), s = rl.layers.get(l);
        String at = "layer " + l + " ";
        same(at + "input norm", f.inputNorm(), dims(h), 4, s.inputNorm());
        same(at + "post norm", f.postNorm(), dims(h), 4, s.postNorm());
        long[] qkv = dims(q + 2L * k, h);
        byte[] wqkv = concat(cut(f.wqkv(), qkv, 2, 0, heads.from() * hd, heads.to() * hd),
            cut(f.wqkv(), qkv, 2, 0, q + kv.from() * hd, q + kv.to() * hd),
            cut(f.wqkv(), qkv, 2, 0, q + k + kv.from() * hd, q + k + kv.to() * hd));
        expect(at + "wqkv", wqkv, s.wqkv());
        long[] bq = dims(q + 2L * k);
        expect(at + "bqkv", concat(cut(f.bqkv(), bq, 4, 0, heads.from() * hd, heads.to() * hd),
            cut(f.bqkv(), bq, 4, 0, q + kv.from() * hd, q + kv.to() * hd),
            cut(f.bqkv(), bq, 4, 0, q + k + kv.from() * hd, q + k + kv.to() * hd)), s.bqkv());
        expect(at + "o_proj", cut(f.wo(), dims(h, q), 2, 1, heads.from() * hd, heads.to() * hd), s.wo());
        same(at + "o_proj bias", f.bo(), dims(h), 4, s.bo());
        expect(at + "sinks", cut(f.sinks(), dims(c.numAttentionHeads()), 4, 0, heads.from(), heads.to()), s.sinks());
        same(at + "router", f.router(), dims(e, h), 2, s.router());
        same(at + "router bias", f.routerBias(), dims(e), 4, s.routerBias());
        // experts: first this rank's experts (axis 0), then its part of each
        expect(at + "gate_up blocks", cutExperts(f.gateUpBlocks(), dims(e, i2, h / 32 * 16), 1, 1, i0, i1, ex), s.gateUpBlocks());
        expect(at + "gate_up scales", cutExperts(f.gateUpScales(), dims(e, h / 32, i2), 1, 2, i0, i1, ex), s.gateUpScales());
        expect(at + "gate_up bias", cutExperts(f.gateUpBias(), dims(e, i2), 4, 1, i0, i1, ex), s.gateUpBias());
        expect(at + "down blocks", cutExperts(f.downBlocks(), dims(e, h, blocks32, 16), 1, 2, ib.from(), ib.to(), ex),
            s.downBlocks());
        expect(at + "down scales", cutExperts(f.downScales(), dims(e, blocks32, h), 1, 1, ib.from(), ib.to(), ex),
            s.downScales());
        byte[] downBias = cut(f.downBias(), dims(e, h), 4, 0, ex.from(), ex.to());
        if (plan.parallel() && !plan.expertParallel() && r > 0) downBias = new byte[downBias.length]; // added once
        expect(at + "down bias", downBias, s.downBias());
      }
    }

    private byte[] cutExperts(long off, long[] dims, int elem, int axis, long from, long to, Range ex) {
      byte[] mine = slice(full, off, dims, elem, 0, ex.from(), ex.to());
      long[] d = dims.clone();
      d[0] = ex.size();
      return slice(mine, 0, d, elem, axis, from, to);
    }

    private byte[] cut(long off, long[] dims, int elem, int axis, long from, long to) {
      return slice(full, off, dims, elem, axis, from, to);
    }

    private void same(String name, long fullOff, long[] dims, int elem, long rankOff) {
      expect(name, cut(fullOff, dims, elem, 0, 0, dims[0]), rankOff);
    }

    private void expect(String name, byte[] expected, long rankOff) {
      assertArrayEquals(expected, Arrays.copyOfRange(img, (int) rankOff, (int) rankOff + expected.length), what + ": " + name);
    }
  }

  /** The part {@code [from, to)} along {@code axis} of the row-major tensor of {@code dims} at {@code off} in {@code src}. */
  static byte[] slice(byte[] src, long off, long[] dims, int elem, int axis, long from, long to) {
    long outer = 1, inner = elem;
    for (int a = 0; a < axis; a++) outer *= dims[a];
    for (int a = axis + 1; a < dims.length; a++) inner *= dims[a];
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (long o = 0; o < outer; o++) out.write(src, (int) (off + (o * dims[axis] + from) * inner), (int) ((to - from) * inner));
    return out.toByteArray();
  }

  static long[] dims(long... d) {
    return d;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }
}
