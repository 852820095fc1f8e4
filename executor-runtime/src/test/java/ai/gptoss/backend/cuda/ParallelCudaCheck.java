package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static ai.gptoss.backend.cuda.Cuda.dev;
import static ai.gptoss.backend.cuda.GpuChecks.require;
import static ai.gptoss.backend.cuda.GpuConformance.ints;
import static ai.gptoss.backend.cuda.GpuConformance.relL2;
import static org.bytedeco.cuda.global.cudart.*;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.EngineEval;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.parallel.ParallelPlan;
import ai.gptoss.backend.parallel.RankPlacement;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The CUDA path of an engine spanning several GPUs, checked on one GPU (the machine needs one; none with several was
 * lent): {@code ParallelCudaCheck GOLDEN_DIR} (tiny-a/, tiny-a.golden.json, tiny-qa.eval.json). Every rank runs on
 * GPU 0, so the ranks' collectives are {@link HostStagedCollectives}; the NCCL path is checked with one rank
 * ({@code ncclCommInitAll} over one device), which loads NCCL and runs its all-reduce in the forward pass. Against the
 * one-rank {@link CudaBackend} in exact precision: greedy ids equal, teacher-forced top-1 at every position equal, the
 * last logits' relative L2 reported (at most 1e-3: splitting o_proj and the expert width changes the order of float
 * sums; 0 for one rank over NCCL, whose sum of one buffer changes nothing). Prints one
 * {@code CHECK name PASS|FAIL detail} line each; exits non-zero when any fails.
 */
public final class ParallelCudaCheck {
  private static final GpuChecks CHECKS = new GpuChecks("CHECK ");
  private static final Precision PRECISION = Precision.EXACT;
  private static final KvCacheDtype KV = KvCacheDtype.AUTO;
  private static final int NEW_TOKENS = 16;

  /** One fixture's prompts and what the one-rank engine gives for them. */
  private record Reference(String name, Path dir, List<int[]> prompts, List<float[][]> logits, List<List<Integer>> greedy) {}

  public static void main(String[] args) throws Exception {
    Path golden = Paths.get(args[0]);
    ObjectMapper json = new ObjectMapper();
    CHECKS.run("host-staged all-reduce, 3 ranks on GPU 0", () -> allReduce(new HostStagedCollectives(3)));
    CHECKS.run("nccl all-reduce, 1 rank (ncclCommInitAll over GPU 0)", () -> "NCCL " + NcclCollectives.version() + ", "
        + allReduce(new NcclCollectives(new int[] {0})));
    List<int[]> tinyA = new ArrayList<>();
    for (JsonNode cs : json.readTree(golden.resolve("tiny-a.golden.json").toFile()).get("cases")) tinyA.add(ints(cs.get("input_ids")));
    JsonNode eval = json.readTree(golden.resolve("tiny-qa.eval.json").toFile());
    List<int[]> tinyQa = new ArrayList<>();
    for (JsonNode cs : eval.get("results")) {
      if (tinyQa.size() < 12) tinyQa.add(ints(cs.get("prompt_ids")));
    }
    Reference a = reference("tiny-a", golden.resolve("tiny-a"), tinyA);
    Reference qa = reference("tiny-qa", EmbeddedModel.path(), tinyQa);
    CHECKS.run("tiny-a tp1 over nccl (1 rank, GPU 0)", () -> compare(a, ParallelPlan.SINGLE, "cuda:0", true));
    for (ParallelPlan plan : new ParallelPlan[] {new ParallelPlan(2, false), new ParallelPlan(2, true), new ParallelPlan(4, true)}) {
      CHECKS.run("tiny-a " + plan.label() + " on GPU 0", () -> compare(a, plan, onGpu0(plan), false));
    }
    CHECKS.run("tiny-a tp4 refused (2 MXFP4 blocks of width)", () -> {
      try (Backend b = ai.gptoss.backend.Backends.open(a.dir(), "cuda:0,0,0,0", PRECISION, KV, new ParallelPlan(4, false))) {
        throw new AssertionError("opened " + b.name());
      } catch (IllegalArgumentException e) {
        require(e.getMessage().contains("intermediate_size=64"), e.getMessage());
        return e.getMessage();
      }
    });
    CHECKS.run("tiny-qa tp1 over nccl (1 rank, GPU 0)", () -> compare(qa, ParallelPlan.SINGLE, "cuda:0", true));
    for (ParallelPlan plan : new ParallelPlan[] {new ParallelPlan(2, false), new ParallelPlan(4, false),
        new ParallelPlan(2, true), new ParallelPlan(4, true)}) {
      CHECKS.run("tiny-qa " + plan.label() + " on GPU 0", () -> compare(qa, plan, onGpu0(plan), false));
      CHECKS.run("tiny-qa " + plan.label() + " on GPU 0 through the engine", () -> {
        try (Backend b = open(qa.dir(), plan, onGpu0(plan))) {
          List<Integer> bad = EngineEval.mismatches(b, eval, 512, Integer.MAX_VALUE);
          require(bad.isEmpty(), bad.size() + " cases differ from transformers' greedy ids: " + bad);
          return eval.get("results").size() + " cases reproduce greedy_ids exactly (" + b.name() + ")";
        }
      });
    }
    System.out.println("---- parallel CUDA (one GPU) ----");
    CHECKS.lines.forEach(System.out::println);
    if (!CHECKS.failures.isEmpty()) System.exit(1);
  }

  static String onGpu0(ParallelPlan plan) {
    return "cuda:" + String.join(",", Collections.nCopies(plan.ranks(), "0"));
  }

  static ParallelCudaBackend open(Path dir, ParallelPlan plan, String device) {
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      return ParallelCudaBackend.load(ckpt, plan, RankPlacement.of(device, plan, CudaDevices.count()), PRECISION, KV);
    }
  }

  static Reference reference(String name, Path dir, List<int[]> prompts) {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      w = ModelWeights.load(ckpt);
    }
    List<float[][]> logits = new ArrayList<>();
    List<List<Integer>> greedy = new ArrayList<>();
    try (CudaBackend b = CudaBackend.upload(w, 0, PRECISION, KV)) {
      run(b, prompts, logits, greedy);
    }
    return new Reference(name, dir, prompts, logits, greedy);
  }

  private static void run(Backend b, List<int[]> prompts, List<float[][]> logits, List<List<Integer>> greedy) {
    for (int[] p : prompts) {
      logits.add(new SingleSequence(b, p.length + 1).feed(p, true, SamplingParams.greedy()).logits());
      greedy.add(new SingleSequence(b, p.length + NEW_TOKENS + 1).generate(p, NEW_TOKENS, SamplingParams.greedy(), List.of()));
    }
  }

  /** Greedy ids and every position's top-1 as the one-rank engine's; the last logits within 1e-3 (0 when {@code bitExact}). */
  static String compare(Reference ref, ParallelPlan plan, String device, boolean bitExact) {
    List<float[][]> logits = new ArrayList<>();
    List<List<Integer>> greedy = new ArrayList<>();
    String name;
    long weights;
    try (ParallelCudaBackend b = open(ref.dir(), plan, device)) {
      name = b.name();
      weights = b.weightBytes();
      run(b, ref.prompts(), logits, greedy);
    }
    double worst = 0;
    int positions = 0, agree = 0;
    List<Integer> greedyDiffer = new ArrayList<>();
    for (int c = 0; c < ref.prompts().size(); c++) {
      float[][] want = ref.logits().get(c), got = logits.get(c);
      worst = Math.max(worst, relL2(got[got.length - 1], want[want.length - 1]));
      for (int p = 0; p < want.length; p++) {
        positions++;
        if (ai.gptoss.backend.Sampler.argmax(got[p]) == ai.gptoss.backend.Sampler.argmax(want[p])) agree++;
      }
      if (!greedy.get(c).equals(ref.greedy().get(c))) greedyDiffer.add(c);
    }
    String detail = String.format("%s: greedy ids of %d prompts x %d tokens, %d differ %s; top-1 %d/%d; worst last-logits "
        + "relL2 to the one-rank engine %.3e; weights %.1f KiB over the ranks", name, ref.prompts().size(), NEW_TOKENS,
        greedyDiffer.size(), greedyDiffer, agree, positions, worst, weights / 1024.0);
    require(greedyDiffer.isEmpty() && agree == positions, detail);
    require(bitExact ? worst == 0 : worst <= 1e-3, detail);
    return detail;
  }

  /**
   * Each rank's buffer of 1,000 floats (rank r, element i: i / 8 + r, exact in float32) summed by {@code coll} on GPU
   * 0, every rank on its own thread and stream: each must read the exact sum.
   */
  static String allReduce(DeviceCollectives coll) throws Exception {
    int n = coll.size(), len = 1000;
    ExecutorService threads = Executors.newFixedThreadPool(n);
    try (coll) {
      List<Future<float[]>> out = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        out.add(threads.submit(() -> {
          check(cudaSetDevice(0), "cudaSetDevice(0)");
          CUstream_st stream = new CUstream_st();
          check(cudaStreamCreate(stream), "cudaStreamCreate");
          float[] mine = new float[len];
          for (int i = 0; i < len; i++) mine[i] = i / 8f + rank;
          try (DeviceArena buf = new DeviceArena("all-reduce check", 4L * len); FloatPointer host = new FloatPointer(mine)) {
            check(cudaMemcpy(dev(buf.base()), host, 4L * len, cudaMemcpyHostToDevice), "cudaMemcpy");
            coll.allReduceSum(rank, buf.base(), len, stream);
            check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
            check(cudaMemcpy(host, dev(buf.base()), 4L * len, cudaMemcpyDeviceToHost), "cudaMemcpy");
            float[] got = new float[len];
            host.get(got);
            return got;
          } finally {
            cudaStreamDestroy(stream);
          }
        }));
      }
      int ranksOff = 0;
      for (Future<float[]> f : out) {
        float[] got = f.get();
        for (int i = 0; i < len; i++) {
          float want = n * (i / 8f) + n * (n - 1) / 2f;
          if (got[i] != want) {
            ranksOff++;
            break;
          }
        }
      }
      require(ranksOff == 0, ranksOff + " of " + n + " ranks read a wrong sum");
      return n + " ranks read the exact sum of " + len + " floats";
    } finally {
      threads.shutdownNow();
    }
  }
}
