package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.GpuChecks.require;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.MixedBatches;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.Sampler;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The GPU conformance suite, run on the GPU machine by scripts/gpu-check.sh (CI has no GPU):
 * {@code GpuConformance GOLDEN_DIR [NAME=MODEL_DIR:GOLDEN_JSON ...]}. GOLDEN_DIR holds tiny-a/,
 * tiny-a.golden.json and tiny-qa.eval.json. Prints one "CHECK name PASS|FAIL detail" line each and
 * exits non-zero when any fails. Checks {@link #PRECISION}: exact unless {@value Precision#ENV} says otherwise.
 */
public final class GpuConformance {
  private static final GpuChecks CHECKS = new GpuChecks("CHECK ");
  /**
   * The precision checked: {@value Precision#ENV} when set (gpu-check.sh runs each mode), else exact, the reference
   * held to transformers' float32 top-1, never the product's default (fast).
   */
  static final Precision PRECISION = Precision.parse(java.util.Objects.requireNonNullElse(System.getenv(Precision.ENV),
      Precision.EXACT.id()), Precision.ENV);
  /** The K/V cache type of both sides of the CPU-vs-GPU checks: {@value ai.gptoss.backend.KvCacheDtype#ENV}'s (gpu-check.sh's fp8 mode). */
  static final ai.gptoss.backend.KvCacheDtype KV = ai.gptoss.engine.EngineSettings.fromEnvironment("", "cuda:0").kvCacheDtype();

  public static void main(String[] args) throws Exception {
    Path golden = Paths.get(args[0]);
    boolean extraOnly = args.length > 1 && args[1].equals("--extra-only");
    ObjectMapper json = new ObjectMapper();
    ModelWeights tinyA;
    try (Checkpoint ckpt = Checkpoint.open(golden.resolve("tiny-a"))) {
      tinyA = ModelWeights.load(ckpt);
    }
    // The CPU-vs-GPU checks' reference sums in the order of this host's SIMD width: say which, so runs on other hosts compare.
    System.out.println("CPU reference kernels: " + ai.gptoss.backend.cpu.Matmul.kernels());
    // Kernels compares every KernelStruct record with the structs as NVRTC lays them out (layout.cu) at load.
    CHECKS.run("kernel argument layouts", () -> {
      try (CudaBackend b = CudaBackend.upload(tinyA, 0, PRECISION, KV)) {
        return KernelStruct.class.getPermittedSubclasses().length + " argument records match layout.cu's sizeof/offsetof ("
            + b.name() + ")";
      }
    });
    if (!extraOnly) CHECKS.run("tiny-a golden", () -> goldenFixture(tinyA, json.readTree(golden.resolve("tiny-a.golden.json").toFile()), true));
    for (int i = extraOnly ? 2 : 1; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      String[] paths = kv[1].split(":", 2);
      CHECKS.run(kv[0] + " golden", () -> {
        ModelWeights w;
        try (Checkpoint ckpt = Checkpoint.open(Paths.get(paths[0]))) {
          w = ModelWeights.load(ckpt);
        }
        return goldenFixture(w, json.readTree(Paths.get(paths[1]).toFile()), false);
      });
    }
    if (extraOnly) {
      finish();
      return;
    }
    CHECKS.run("tiny-qa eval greedy", () -> tinyQa(json.readTree(golden.resolve("tiny-qa.eval.json").toFile())));
    CHECKS.run("tiny-qa eval through the engine (continuous batching)", () -> {
      ModelWeights w;
      try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
        w = ModelWeights.load(ckpt);
      }
      JsonNode eval = json.readTree(golden.resolve("tiny-qa.eval.json").toFile());
      try (CudaBackend b = CudaBackend.upload(w, 0, PRECISION, KV)) {
        List<Integer> bad = ai.gptoss.backend.EngineEval.mismatches(b, eval, 512, Integer.MAX_VALUE);
        require(bad.isEmpty(), bad.size() + " cases differ: " + bad);
        return eval.get("results").size() + " cases reproduce greedy_ids exactly";
      }
    });
    CHECKS.run("cpu-vs-gpu mixed batches tiny-a", () -> mixed(tinyA, 6, 60, 12));
    CHECKS.run("cpu-vs-gpu mixed batches tiny-qa", () -> {
      ModelWeights w;
      try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
        w = ModelWeights.load(ckpt);
      }
      return mixed(w, 4, 80, 10);
    });
    CHECKS.run("sampling kernel vs Sampler", GpuConformance::sampling);
    finish();
  }

  private static void finish() {
    System.out.println("---- GPU conformance ----");
    CHECKS.lines.forEach(System.out::println);
    if (!CHECKS.failures.isEmpty()) System.exit(1);
  }

  static double relL2(float[] got, float[] ref) {
    double num = 0, den = 0;
    for (int i = 0; i < ref.length; i++) {
      double d = got[i] - ref[i];
      num += d * d;
      den += (double) ref[i] * ref[i];
    }
    return Math.sqrt(num / den);
  }

  /** Teacher-forced top-1 at every position and last-position logits against transformers. */
  static String goldenFixture(ModelWeights w, JsonNode golden, boolean everyTop1) {
    int positions = 0, agree = 0;
    double worst = 0;
    StringBuilder miss = new StringBuilder();
    try (CudaBackend b = CudaBackend.upload(w, 0, PRECISION, KV)) {
      for (JsonNode cs : golden.get("cases")) {
        int[] ids = ints(cs.get("input_ids"));
        float[][] logits = new SingleSequence(b, ids.length + 1).feed(ids, true, SamplingParams.greedy()).logits();
        double rel = relL2(logits[ids.length - 1], floats(cs.get("last_logits")));
        worst = Math.max(worst, rel);
        for (int p = 0; p < ids.length; p++) {
          positions++;
          int want = cs.get("top5_ids").get(p).get(0).asInt();
          int got = Sampler.argmax(logits[p]);
          if (want == got) agree++;
          else if (miss.length() < 400) {
            JsonNode t5 = cs.get("top5_logits").get(p);
            miss.append(cs.get("name").asText()).append("@").append(p)
                .append(String.format("(ref margin %.4f) ", t5.get(0).asDouble() - t5.get(1).asDouble()));
          }
        }
      }
    }
    double frac = agree / (double) positions;
    String detail = String.format("top1 %d/%d (%.4f) worst last-logits relL2 %.3e %s", agree, positions, frac, worst, miss);
    require(worst <= 2e-2, detail);
    require(everyTop1 ? agree == positions : frac >= 0.99, detail);
    return detail;
  }

  static String tinyQa(JsonNode eval) {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      w = ModelWeights.load(ckpt);
    }
    int ok = 0, n = 0;
    StringBuilder bad = new StringBuilder();
    try (CudaBackend b = CudaBackend.upload(w, 0, PRECISION, KV)) {
      for (JsonNode cs : eval.get("results")) {
        int[] prompt = ints(cs.get("prompt_ids"));
        int[] want = ints(cs.get("greedy_ids"));
        List<Integer> got = new SingleSequence(b, prompt.length + want.length + 1)
            .generate(prompt, want.length, SamplingParams.greedy(), List.of(200002));
        boolean same = got.size() == want.length;
        for (int i = 0; same && i < want.length; i++) same = got.get(i) == want[i];
        n++;
        if (same) ok++;
        else if (bad.length() < 300) bad.append(cs.get("id").asInt()).append(' ');
      }
    }
    String detail = ok + "/" + n + " cases reproduce greedy_ids exactly " + bad;
    require(ok == n, detail);
    return detail;
  }

  /** The same random mixed steps on both backends (GPU fed the CPU's tokens). */
  static String mixed(ModelWeights w, int seqs, int maxPrompt, int newTokens) {
    double worst = 0;
    int rows = 0, agree = 0, decided = 0;
    List<String> bad = new ArrayList<>();
    for (long seed = 1; seed <= 3; seed++) {
      MixedBatches.Trace cpu, gpu;
      try (CpuBackend b = new CpuBackend(w, KV)) {
        cpu = MixedBatches.run(b, KV, seed, seqs, maxPrompt, newTokens, null);
      }
      try (CudaBackend b = CudaBackend.upload(w, 0, PRECISION, KV)) {
        gpu = MixedBatches.run(b, KV, seed, seqs, maxPrompt, newTokens, cpu);
      }
      require(cpu.logits().size() == gpu.logits().size(), "step counts differ");
      for (int s = 0; s < cpu.logits().size(); s++) {
        float[][] lc = cpu.logits().get(s), lg = gpu.logits().get(s);
        for (int r = 0; r < lc.length; r++) {
          rows++;
          double rel = relL2(lg[r], lc[r]);
          worst = Math.max(worst, rel);
          if (rel > 0.05 && bad.size() < 6) {
            bad.add(String.format("seed %d step %d row %d seq %d pos %d rel %.3f [%s]", seed, s, r, cpu.rowSeq().get(s)[r],
                cpu.rowPos().get(s)[r], rel, cpu.stepShapes().get(s)));
          }
          float[] sorted = lc[r].clone();
          java.util.Arrays.sort(sorted);
          double margin = sorted[sorted.length - 1] - sorted[sorted.length - 2];
          if (margin > 0.05) {
            decided++;
            if (cpu.sampled().get(s)[r] == gpu.sampled().get(s)[r]) agree++;
          }
        }
      }
    }
    String detail = String.format("%d rows, greedy equal %d/%d where margin > 0.05, worst logits relL2 %.3e", rows, agree,
        decided, worst);
    bad.forEach(b -> System.out.println("  MIXED-BAD " + b));
    require(worst <= 2e-2 && agree == decided, detail);
    return detail;
  }

  /** The sampling kernel against the reference sampler on random rows (all parameter kinds). */
  static String sampling() throws Exception {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      w = ModelWeights.load(ckpt);
    }
    int same = 0, n = 0;
    java.util.Random rnd = new java.util.Random(5);
    try (CudaBackend g = CudaBackend.upload(w, 0, PRECISION, KV)) {
      int[] prompt = new int[40];
      for (int i = 0; i < prompt.length; i++) prompt[i] = rnd.nextInt(200000);
      float[][] logits = new SingleSequence(g, 64).feed(prompt, true, SamplingParams.greedy()).logits();
      float[] temps = {0.5f, 1f, 1.5f};
      float[] tops = {1f, 0.9f, 0.5f};
      int[] ks = {0, 1, 5, 50};
      for (float t : temps) {
        for (float p : tops) {
          for (int k : ks) {
            for (int seed = 0; seed < 3; seed++) {
              SamplingParams sp = new SamplingParams(t, p, k, 1000L * seed + k, seed);
              int want = Sampler.sample(logits[prompt.length - 1 - seed], sp);
              int got = g.sampleRow(logits[prompt.length - 1 - seed], sp);
              n++;
              if (want == got) same++;
              // token masks (structured output): a dense random mask and one of 5 tokens, as the CPU sampler applies them
              for (int density : new int[] {8, 0}) {
                ai.gptoss.backend.TokenMask mask = randomMask(rnd, logits[0].length, density);
                float[] row = logits[prompt.length - 1 - seed];
                int wantMasked = Sampler.sample(row.clone(), sp, mask);
                int gotMasked = g.sampleRow(row, sp, mask);
                n++;
                if (wantMasked == gotMasked && mask.allows(gotMasked)) same++;
              }
            }
          }
        }
      }
    }
    String detail = same + "/" + n + " draws equal to Sampler";
    require(same == n, detail);
    return detail;
  }

  /** Each token allowed with probability 1/{@code density} (0: exactly 5 random tokens). */
  static ai.gptoss.backend.TokenMask randomMask(java.util.Random rnd, int vocab, int density) {
    long[] bits = new long[ai.gptoss.backend.TokenMask.words(vocab)];
    if (density == 0) {
      for (int i = 0; i < 5; i++) {
        int t = rnd.nextInt(vocab);
        bits[t >>> 6] |= 1L << t;
      }
    } else {
      for (int t = 0; t < vocab; t++) if (rnd.nextInt(density) == 0) bits[t >>> 6] |= 1L << t;
    }
    return new ai.gptoss.backend.TokenMask(bits, vocab);
  }

  static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
    return out;
  }

  static float[] floats(JsonNode a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
    return out;
  }

  static boolean exists(Path p) {
    return Files.exists(p);
  }
}
