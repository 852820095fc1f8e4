package ai.gptoss.backend;

import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelShapes;
import ai.gptoss.model.ModelWeights;
import ai.gptoss.model.SyntheticCheckpointWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What FP8 E4M3 rounding of K and V alone (scale 1, as {@code GPTOSS_KV_CACHE_DTYPE=fp8} stores them) does to the
 * logits of a real-dimension random gpt-oss, on the pure-Java backend: no GPU, no other rounding. For each case
 * (seed, prompt length) it writes (once, reused afterwards) a checkpoint of gpt-oss-20b's dimensions with the
 * reference fixtures' weight distributions ({@link SyntheticCheckpointWriter}), feeds one uniformly random prompt in
 * chunks to a float32-K/V backend and to an FP8-K/V backend (optionally a bf16-K/V one) in lockstep, and prints per
 * prefix length 1, 2, 4, ..., 512 and the full length the logits' relative L2 and top-1 agreement, the residual
 * stream's relative L2 after each layer, the same by ranges of prefix lengths, the positions where a router chose
 * other experts than in the float32 run ({@link RouteRecorder}) against the rest, and the K/V value statistics
 * ({@link KvValueStats}). A diagnostic, not a test: it judges nothing and exits 0 once it has printed. On 2 cores
 * (AMD EPYC, AVX2) the default cases with --bf16 took about 6 minutes (3 forward runs of 1,700 tokens) in an 11 GiB
 * heap.
 *
 * <p>usage (after {@code mvn -pl executor-runtime -am test-compile}): {@code java -Xmx10g --add-modules
 * jdk.incubator.vector -cp executor-runtime/target/test-classes:executor-runtime/target/classes:DEPS
 * ai.gptoss.backend.Fp8KvProbe [--dir /tmp/fp8-kv-probe] [--cases 5:700,6:700,5:300] [--layers 2] [--vocab 201088]
 * [--chunk 100] [--bf16]}
 */
public final class Fp8KvProbe {
  private Fp8KvProbe() {}

  /** One backend's view of a chunk: the residual after the embedding and after each layer, and the logits. */
  private static final class Run {
    final CpuBackend backend;
    final SingleSequence seq;
    final float[][] residual; // [layers + 1][chunk tokens * hidden]
    final RouteRecorder routes;
    float[][] logits;
    int from;

    Run(ModelWeights w, KvCacheDtype dtype, int maxTokens) {
      backend = new CpuBackend(w, dtype);
      seq = new SingleSequence(backend, maxTokens);
      int layers = w.config.numHiddenLayers(), hid = w.config.hiddenSize();
      residual = new float[layers + 1][];
      routes = new RouteRecorder(w, dtype, maxTokens);
      backend.setResidualProbe((layer, x) -> {
        residual[layer] = x.clone();
        if (layer < layers) routes.add(layer, x, x.length / hid, from);
      });
    }

    void feed(int[] chunk, int first) {
      from = first;
      logits = seq.feed(chunk, true, SamplingParams.greedy()).logits();
    }
  }

  /**
   * Per position (0-based) of the prompt, the compared run against the float32-K/V one; {@code flipped[l][p]}: the
   * router of layer l chose another expert set at p.
   */
  private record Comparison(double[] logitsRel, boolean[] top1, double[][] residualRel, boolean[][] flipped) {}

  public static void main(String[] args) {
    Path dir = Path.of("/tmp/fp8-kv-probe");
    String cases = "5:700,6:700,5:300";
    int layers = 2, vocab = ModelShapes.GPT_OSS_VOCAB, chunk = 100;
    boolean bf16 = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--dir" -> dir = Path.of(args[++i]);
        case "--cases" -> cases = args[++i];
        case "--layers" -> layers = Integer.parseInt(args[++i]);
        case "--vocab" -> vocab = Integer.parseInt(args[++i]);
        case "--chunk" -> chunk = Integer.parseInt(args[++i]);
        case "--bf16" -> bf16 = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (expected --dir D, --cases SEED:LEN,..., --layers N, --vocab N, --chunk N, --bf16)");
      }
    }
    ModelConfig config = ModelShapes.gptOss20b(layers).vocab(vocab).build();
    System.out.printf("Fp8KvProbe: CPU backend (%s), %d cores, max heap %d MiB; model: gpt-oss-20b dimensions, %d layers "
        + "%s, vocab %d; reference: float32 K/V; compared: FP8 E4M3 K/V (scale 1, RNE, saturating)%s%n",
        ai.gptoss.backend.cpu.Matmul.kernels(), Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20, layers, config.layerTypes(), vocab, bf16 ? " and bf16 K/V" : "");
    ModelWeights weights = null;
    long loadedSeed = Long.MIN_VALUE;
    for (String spec : cases.split(",")) {
      String[] p = spec.trim().split(":");
      long seed = Long.parseLong(p[0]);
      int length = Integer.parseInt(p[1]);
      if (seed != loadedSeed) {
        weights = null; // release the previous seed's weights before loading the next
        weights = load(config, seed, dir);
        loadedSeed = seed;
      }
      runCase(weights, seed, length, chunk, bf16);
    }
  }

  private static ModelWeights load(ModelConfig config, long seed, Path root) {
    Path dir = root.resolve("s" + seed + "-l" + config.numHiddenLayers() + "-v" + config.vocabSize());
    long t0 = System.nanoTime();
    if (!Files.exists(dir.resolve(Checkpoint.SINGLE))) {
      new SyntheticCheckpointWriter(config, seed).write(dir);
      System.out.printf("wrote %s in %.1f s%n", dir, (System.nanoTime() - t0) / 1e9);
    }
    long t1 = System.nanoTime();
    ModelWeights w = ModelWeights.load(Checkpoint.open(dir));
    if (!w.config.equals(config)) throw new IllegalStateException(dir + " holds another config: " + w.config);
    System.out.printf("loaded %s in %.1f s%n", dir, (System.nanoTime() - t1) / 1e9);
    return w;
  }

  private static void runCase(ModelWeights w, long seed, int length, int chunk, boolean bf16) {
    ModelConfig c = w.config;
    SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + length);
    int[] prompt = rng.ints(length, 0, c.vocabSize()).toArray();
    long t0 = System.nanoTime();
    Run ref = new Run(w, KvCacheDtype.AUTO, length);
    List<KvCacheDtype> dtypes = bf16 ? List.of(KvCacheDtype.FP8, KvCacheDtype.BF16) : List.of(KvCacheDtype.FP8);
    List<Run> runs = new ArrayList<>();
    for (KvCacheDtype d : dtypes) runs.add(new Run(w, d, length));
    KvValueStats stats = new KvValueStats(w);
    List<Comparison> cmp = new ArrayList<>();
    for (int r = 0; r < runs.size(); r++) {
      cmp.add(new Comparison(new double[length], new boolean[length], new double[c.numHiddenLayers()][length],
          new boolean[c.numHiddenLayers()][length]));
    }
    for (int from = 0; from < length; from += chunk) {
      int[] part = Arrays.copyOfRange(prompt, from, Math.min(length, from + chunk));
      ref.feed(part, from);
      for (int l = 0; l < c.numHiddenLayers(); l++) stats.add(l, ref.residual[l], part.length, from);
      for (int r = 0; r < runs.size(); r++) {
        Run run = runs.get(r);
        run.feed(part, from);
        Comparison k = cmp.get(r);
        for (int t = 0; t < part.length; t++) {
          k.logitsRel[from + t] = relL2(run.logits[t], 0, ref.logits[t], 0, c.vocabSize());
          k.top1[from + t] = Sampler.argmax(run.logits[t]) == Sampler.argmax(ref.logits[t]);
          for (int l = 0; l < c.numHiddenLayers(); l++) {
            k.residualRel[l][from + t] = relL2(run.residual[l + 1], t * c.hiddenSize(), ref.residual[l + 1],
                t * c.hiddenSize(), c.hiddenSize());
          }
        }
      }
      System.err.printf("  seed %d: %d/%d tokens, %.0f s%n", seed, from + part.length, length,
          (System.nanoTime() - t0) / 1e9);
    }
    for (int r = 0; r < runs.size(); r++) {
      for (int l = 0; l < c.numHiddenLayers(); l++) {
        for (int p = 0; p < length; p++) {
          cmp.get(r).flipped[l][p] = runs.get(r).routes.chosen[l][p] != ref.routes.chosen[l][p];
        }
      }
    }
    System.out.printf("%n== seed %d, one random prompt of %d tokens (prefill in chunks of %d), %.0f s ==%n", seed, length,
        chunk, (System.nanoTime() - t0) / 1e9);
    for (int r = 0; r < runs.size(); r++) print(dtypes.get(r), cmp.get(r), c.numHiddenLayers());
    System.out.println("K/V values as cached (reference run; K after YaRN):");
    System.out.print(stats.report());
  }

  private static void print(KvCacheDtype dtype, Comparison k, int layers) {
    int length = k.logitsRel.length;
    System.out.printf("%s K/V against float32 K/V, per prefix length n (the logits at position n-1):%n", dtype);
    StringBuilder head = new StringBuilder("      n  logits relL2  top1 same");
    for (int l = 0; l < layers; l++) head.append(String.format("  resid relL2 after L%d", l));
    System.out.println(head);
    List<Integer> shown = new ArrayList<>();
    for (int n = 1; n < length; n *= 2) shown.add(n);
    shown.add(length);
    for (int n : shown) {
      StringBuilder s = new StringBuilder(String.format("  %5d  %12.3e  %9s", n, k.logitsRel[n - 1], k.top1[n - 1]));
      for (int l = 0; l < layers; l++) s.append(String.format("  %20.3e", k.residualRel[l][n - 1]));
      System.out.println(s);
    }
    int worst = 0;
    for (int p = 1; p < length; p++) if (k.logitsRel[p] > k.logitsRel[worst]) worst = p;
    System.out.printf("  max logits relL2 %.3e at n = %d%n", k.logitsRel[worst], worst + 1);
    Integer[] order = new Integer[length];
    for (int p = 0; p < length; p++) order[p] = p;
    Arrays.sort(order, (a, b) -> Double.compare(k.logitsRel[b], k.logitsRel[a]));
    StringBuilder top = new StringBuilder("  the 8 largest (n: logits relL2, residual relL2 after each layer):");
    for (int i = 0; i < Math.min(8, length); i++) {
      int p = order[i];
      top.append(String.format("%n    n %d: %.3e", p + 1, k.logitsRel[p]));
      for (int l = 0; l < layers; l++) {
        top.append(String.format(", L%d %.3e%s", l, k.residualRel[l][p], k.flipped[l][p] ? " (experts differ)" : ""));
      }
    }
    System.out.println(top);
    System.out.println("  by range of n: logits relL2 median / p90 / max, positions over 0.2, top-1 agreement");
    int[] bounds = {0, 128, 256, 512, length};
    for (int b = 0; b + 1 < bounds.length && bounds[b] < length; b++) {
      int lo = bounds[b], hi = Math.min(length, bounds[b + 1]);
      double[] v = Arrays.copyOfRange(k.logitsRel, lo, hi);
      Arrays.sort(v);
      int over = 0, same = 0;
      for (int p = lo; p < hi; p++) {
        if (k.logitsRel[p] > 0.2) over++;
        if (k.top1[p]) same++;
      }
      System.out.printf("    n in [%d, %d]: %.3e / %.3e / %.3e, %d of %d, top-1 %d/%d (%.1f%%)%n", lo + 1, hi,
          v[v.length / 2], v[(int) Math.min(v.length - 1, Math.floor(0.9 * v.length))], v[v.length - 1], over, hi - lo,
          same, hi - lo, 100.0 * same / (hi - lo));
    }
    int same = 0;
    for (boolean b : k.top1) if (b) same++;
    System.out.printf("  all %d positions: top-1 %d/%d (%.1f%%)%n", length, same, length, 100.0 * same / length);
    printFlips(k, layers);
  }

  /** How the positions where some layer's router chose other experts differ from the rest. */
  private static void printFlips(Comparison k, int layers) {
    int length = k.logitsRel.length;
    StringBuilder per = new StringBuilder("  router top-k sets that differ from the float32-K/V run's:");
    for (int l = 0; l < layers; l++) {
      int n = 0;
      for (boolean f : k.flipped[l]) if (f) n++;
      per.append(String.format(" layer %d at %d of %d positions;", l, n, length));
    }
    System.out.println(per);
    double[][] groups = new double[2][];
    int[] counts = new int[2];
    boolean[] any = new boolean[length];
    for (int p = 0; p < length; p++) {
      for (int l = 0; l < layers; l++) any[p] |= k.flipped[l][p];
      counts[any[p] ? 1 : 0]++;
    }
    for (int g = 0; g < 2; g++) groups[g] = new double[counts[g]];
    int[] fill = new int[2];
    for (int p = 0; p < length; p++) groups[any[p] ? 1 : 0][fill[any[p] ? 1 : 0]++] = k.logitsRel[p];
    String[] names = {"same experts in every layer", "other experts in some layer"};
    for (int g = 0; g < 2; g++) {
      double[] v = groups[g];
      if (v.length == 0) {
        System.out.printf("    %s: no position%n", names[g]);
        continue;
      }
      Arrays.sort(v);
      int over = 0;
      for (double x : v) if (x > 0.2) over++;
      System.out.printf("    %s: %d positions, logits relL2 median %.3e, max %.3e, over 0.2 at %d%n", names[g],
          v.length, v[v.length / 2], v[v.length - 1], over);
    }
  }

  static double relL2(float[] got, int gOff, float[] ref, int rOff, int n) {
    double num = 0, den = 0;
    for (int i = 0; i < n; i++) {
      double d = got[gOff + i] - (double) ref[rOff + i];
      num += d * d;
      den += (double) ref[rOff + i] * ref[rOff + i];
    }
    return Math.sqrt(num / den);
  }
}
