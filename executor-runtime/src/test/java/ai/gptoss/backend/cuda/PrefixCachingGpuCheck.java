package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.GpuChecks.require;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.engine.EngineStats;
import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Prefix caching on a device (issue 19), for the coordinator's GPU run; CI runs the same checks on the
 * CPU backend ({@code PrefixCachingGpuCheckTest}), which proves the checker itself:
 * {@code PrefixCachingGpuCheck cuda|cpu [GOLDEN_DIR]}. Models: the embedded tiny-qa (window 32, pages
 * of 16) and, when GOLDEN_DIR is given, its tiny-a (window 8, pages of 4). Exact precision, greedy.
 * Per model:
 * <ul>
 *   <li><b>mixed batch</b>: a warm request computes a shared instruction of 5 sliding windows; then one
 *       batch of rows that hit it (whole, partly, or the warm prompt again) and rows that miss, in pools
 *       too small to hold them (preemption), with two rows cancelled mid-generation. Run with caching
 *       off and on: every other row's ids are equal token for token; the cancelled rows' ids are
 *       prefixes of each other; some rows hit and some miss; preemption happened in both runs;
 *   <li><b>cancelled request's pages outlive it</b>: a request cancelled after generating a few tokens;
 *       the same prompt submitted again is served every page before its last token from the cache
 *       (exactly {@code floor((len - 1) / page) * page} tokens) and gives the ids an uncached engine gives;
 *   <li>after every engine run no page is referenced, and after the cache is cleared every page is
 *       free (free == total) and none is cached.
 * </ul>
 * Prints one {@code CHECK prefix-caching [device] <name> PASS|FAIL <detail>} line each and exits 1 when
 * any fails (2 on bad arguments).
 */
public final class PrefixCachingGpuCheck {
  private final String device;

  private PrefixCachingGpuCheck(String device) {
    this.device = device;
  }

  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2 || !(args[0].equals("cuda") || args[0].equals("cpu"))) {
      System.err.println("usage: PrefixCachingGpuCheck cuda|cpu [GOLDEN_DIR (with tiny-a/)]");
      System.exit(2);
    }
    GpuChecks checks = run(args[0], args.length > 1 ? Paths.get(args[1]) : null);
    System.out.println("---- prefix caching on " + args[0] + ": " + (checks.failures.isEmpty() ? "PASS" : "FAIL " + checks.failures));
    System.exit(checks.failures.isEmpty() ? 0 : 1);
  }

  /** Runs every check on {@code device} ("cuda": GPU 0, exact precision; "cpu"); tiny-a too when {@code golden} is given. */
  static GpuChecks run(String device, Path golden) {
    GpuChecks checks = new GpuChecks("CHECK prefix-caching [" + device + "] ");
    Map<String, Path> models = new LinkedHashMap<>();
    models.put("tiny-qa", EmbeddedModel.path());
    if (golden != null) models.put("tiny-a", golden.resolve("tiny-a"));
    PrefixCachingGpuCheck c = new PrefixCachingGpuCheck(device);
    for (Map.Entry<String, Path> m : models.entrySet()) {
      ModelWeights[] w = new ModelWeights[1];
      checks.run(m.getKey() + " load", () -> {
        try (Checkpoint ckpt = Checkpoint.open(m.getValue())) {
          w[0] = ModelWeights.load(ckpt);
        }
        return m.getValue().toString();
      });
      if (w[0] == null) continue;
      checks.run(m.getKey() + " mixed batch (hit, miss, preempted, cancelled): caching on == off", () -> c.mixed(w[0]));
      checks.run(m.getKey() + " cancelled request's pages outlive it", () -> c.outlive(w[0]));
    }
    return checks;
  }

  private Backend open(ModelWeights w) {
    return device.equals("cpu") ? new CpuBackend(w)
        : CudaBackend.upload(w, 0, Precision.EXACT, EngineSettings.fromEnvironment("", device).kvCacheDtype());
  }

  static int pageSize(ModelConfig c) {
    return c.slidingWindow() >= 32 ? 16 : 4;
  }

  private static int[] random(Random rnd, ModelConfig c, int n) {
    int bound = Math.min(c.vocabSize() - 32, 100_000); // below the special tokens
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(bound);
    return ids;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static final int NEW = 12;
  static final Set<String> CANCEL = Set.of("miss0", "hit0");
  /**
   * Steps of the batch after which {@link #CANCEL} is cancelled: both have generated tokens by then and
   * neither has finished (on both models, caching on and off; the schedule does not depend on the
   * sampled ids, as no request has a stop token, so it is the same on every backend).
   */
  static final int CANCEL_AFTER = 16;

  private String mixed(ModelWeights w) {
    ModelConfig c = w.config;
    int page = pageSize(c), window = c.slidingWindow();
    Random rnd = new Random(19);
    int[] shared = random(rnd, c, 5 * window);
    List<GenerationRequest> warm = List.of(GenerationRequest.greedy("warm", concat(shared, random(rnd, c, 7)), 4, List.of()));
    // The rows to cancel come first: the oldest run first and are preempted last, so they are mid-generation
    // when cancelled.
    List<GenerationRequest> batch = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      batch.add(GenerationRequest.greedy("hit" + i, concat(shared, random(rnd, c, page / 2 + 3 * i + 1)), i == 0 ? 2 * NEW : NEW, List.of()));
    }
    for (int i = 0; i < 3; i++) {
      batch.add(GenerationRequest.greedy("miss" + i, random(rnd, c, 5 * window / 2 + 5 * i + 3), i == 0 ? 2 * NEW : NEW, List.of()));
    }
    batch.add(0, batch.remove(5)); // miss0 first, then hit0
    batch.add(GenerationRequest.greedy("dup", warm.get(0).inputIds(), NEW, List.of()));
    batch.add(GenerationRequest.greedy("part", concat(Arrays.copyOf(shared, 5 * window / 2 + 3), random(rnd, c, 9)), NEW, List.of()));
    // Room for the two rows to cancel (the oldest, so the last to be preempted) and 2 pages more: the rows
    // after them are preempted again and again, the two run to the cancel.
    int pages = 2;
    for (GenerationRequest r : batch.subList(0, 2)) pages += (r.inputIds().length + r.maxNewTokens() + page - 1) / page;
    int budget = 4 * page;
    int sliding = (budget + window - 1 + page - 2) / page + 1; // one prefill chunk (EngineConfig.resolve's minimum)
    EngineConfig cfg = EngineConfig.defaults().withPageSize(page).withMaxTokensPerStep(budget).withMaxSeqsPerStep(4)
        .withPools(pages, sliding + 8);
    Run off = run(w, cfg.withPrefixCaching(false), warm, batch, null);
    Run on = run(w, cfg, warm, batch, null);
    List<String> hits = new ArrayList<>(), misses = new ArrayList<>(), cancelled = new ArrayList<>();
    for (GenerationRequest r : batch) {
      GenerationResult a = off.results().get(r.id()), b = on.results().get(r.id());
      if (CANCEL.contains(r.id())) {
        require(a.finishReason() == FinishReason.CANCELLED && b.finishReason() == FinishReason.CANCELLED,
            r.id() + " was to be cancelled: off " + a.finishReason() + ", on " + b.finishReason());
        require(a.outputIds().length > 0 && b.outputIds().length > 0, r.id() + " was cancelled before it generated a token");
        int n = Math.min(a.outputIds().length, b.outputIds().length);
        require(Arrays.equals(a.outputIds(), 0, n, b.outputIds(), 0, n), r.id() + " (cancelled): ids differ before the cut");
        cancelled.add(r.id() + " after " + b.outputIds().length + "/" + a.outputIds().length + " tokens (on/off)");
        continue;
      }
      require(a.finishReason() == FinishReason.LENGTH && b.finishReason() == FinishReason.LENGTH,
          r.id() + ": off " + a.finishReason() + " " + a.error() + ", on " + b.finishReason() + " " + b.error());
      require(Arrays.equals(a.outputIds(), b.outputIds()), r.id() + " (cached " + b.cachedTokens() + " of "
          + b.promptTokens() + "): ids differ with caching on:\n off " + Arrays.toString(a.outputIds()) + "\n on  "
          + Arrays.toString(b.outputIds()));
      (b.cachedTokens() > 0 ? hits : misses).add(r.id() + ":" + b.cachedTokens());
    }
    require(!hits.isEmpty() && !misses.isEmpty(), "wanted rows that hit and rows that miss: hits " + hits + ", misses " + misses);
    require(off.stats().preemptions() > 0 && on.stats().preemptions() > 0,
        "the pools were meant to force preemption: off " + off.stats().preemptions() + ", on " + on.stats().preemptions());
    return (batch.size() - CANCEL.size()) + " rows equal token for token; hits (cached tokens) " + hits + "; misses "
        + misses + "; cancelled " + cancelled + "; preemptions off " + off.stats().preemptions() + ", on "
        + on.stats().preemptions() + "; prompt tokens computed off " + off.stats().computedTokens() + ", on "
        + on.stats().computedTokens() + " (all tokens run); pools " + off.pools() + "; " + on.pools();
  }

  private String outlive(ModelWeights w) {
    ModelConfig c = w.config;
    int page = pageSize(c);
    int[] prompt = random(new Random(23), c, 3 * c.slidingWindow() + 5);
    GenerationRequest first = GenerationRequest.greedy("first", prompt, 48, List.of());
    GenerationRequest again = GenerationRequest.greedy("again", prompt, 8, List.of());
    EngineConfig cfg = EngineConfig.defaults().withPageSize(page).withMaxTokensPerStep(4 * page).withMaxSeqsPerStep(4)
        .withPools(256, 64);
    RequestHandle[] h = new RequestHandle[1];
    // Cancelled once it has generated 6 tokens (the engine holds nothing else): its pages stay cached.
    Run on = run(w, cfg, List.of(), List.of(first), st -> {
      if (st.generatedTokens() == 6) h[0].cancel();
    }, h, List.of(again));
    Run off = run(w, cfg.withPrefixCaching(false), List.of(), List.of(again), null);
    GenerationResult cut = on.results().get("first"), hit = on.results().get("again"), ref = off.results().get("again");
    require(cut.finishReason() == FinishReason.CANCELLED && cut.outputIds().length > 0,
        "first: " + cut.finishReason() + " after " + cut.outputIds().length + " tokens (wanted CANCELLED mid-generation)");
    int want = (prompt.length - 1) / page * page;
    require(hit.cachedTokens() == want, "the same prompt after the cancel: cached " + hit.cachedTokens() + ", want " + want);
    require(Arrays.equals(hit.outputIds(), ref.outputIds()), "ids of the cached rerun differ from an uncached engine's:\n cached  "
        + Arrays.toString(hit.outputIds()) + "\n uncached " + Arrays.toString(ref.outputIds()));
    int n = Math.min(cut.outputIds().length, ref.outputIds().length);
    require(Arrays.equals(cut.outputIds(), 0, n, ref.outputIds(), 0, n), "the cancelled request's ids are not the uncached ones");
    return "cancelled after " + cut.outputIds().length + " tokens; the rerun of its " + prompt.length + "-token prompt was served "
        + hit.cachedTokens() + " cached tokens and gave the uncached ids (" + ref.outputIds().length + " tokens); pools " + on.pools()
        + "; " + off.pools();
  }

  /** What one engine run returned; {@code results} by request id. */
  record Run(Map<String, GenerationResult> results, EngineStats stats, String pools) {}

  private Run run(ModelWeights w, EngineConfig cfg, List<GenerationRequest> warm, List<GenerationRequest> batch, Consumer<EngineStats> observer) {
    return run(w, cfg, warm, batch, observer, null, List.of());
  }

  /**
   * One engine: {@code warm} to completion, then {@code batch} at once (cancelling {@link #CANCEL} after
   * {@link #CANCEL_AFTER} of its steps, unless an {@code observer} is given; {@code first} receives the
   * batch's first handle before any step sees it), then {@code after} to completion. Checks the pools
   * before and after clearing the cache.
   */
  private Run run(ModelWeights w, EngineConfig cfg, List<GenerationRequest> warm, List<GenerationRequest> batch,
      Consumer<EngineStats> observer, RequestHandle[] first, List<GenerationRequest> after) {
    Map<String, GenerationResult> results = new LinkedHashMap<>();
    List<RequestHandle> handles = new ArrayList<>();
    long[] start = {Long.MAX_VALUE};
    try (Backend b = open(w);
        Engine e = Engine.start(b, cfg, st -> {
          synchronized (handles) { // the batch's handles are in place before any of its steps is observed
            if (observer != null) observer.accept(st);
            else if (st.steps() == start[0] + CANCEL_AFTER) {
              for (int i = 0; i < batch.size(); i++) if (CANCEL.contains(batch.get(i).id())) handles.get(i).cancel();
            }
          }
        })) {
      for (RequestHandle h : e.submitAll(warm)) put(results, h.result().join());
      synchronized (handles) {
        start[0] = e.stats().steps();
        handles.addAll(e.submitAll(batch));
        if (first != null) first[0] = handles.get(0);
      }
      for (RequestHandle h : handles) put(results, h.result().join());
      for (RequestHandle h : e.submitAll(after)) put(results, h.result().join());
      EngineStats s = e.stats();
      require(s.poolsFree() && s.running() + s.waiting() == 0, "pages still referenced after every request ended: " + s);
      e.clearPrefixCache().join();
      EngineStats c = e.stats();
      EngineConfig r = e.config();
      require(c.fullPagesFree() == r.fullPages() && c.slidingPagesFree() == r.slidingPages()
              && c.fullPagesCached() + c.slidingPagesCached() == 0,
          "after clearing the cache: full " + c.fullPagesFree() + "/" + r.fullPages() + " free, sliding " + c.slidingPagesFree()
              + "/" + r.slidingPages() + " free, " + (c.fullPagesCached() + c.slidingPagesCached()) + " pages still cached");
      String pools = "caching " + (cfg.prefixCaching() ? "on" : "off") + ": 0 referenced, " + (s.fullPagesCached() + s.slidingPagesCached())
          + " cached before clear, free==total after (" + c.fullPagesFree() + "/" + r.fullPages() + " full, " + c.slidingPagesFree()
          + "/" + r.slidingPages() + " sliding)";
      return new Run(results, s, pools);
    }
  }

  private static void put(Map<String, GenerationResult> results, GenerationResult r) {
    require(r.finishReason() != FinishReason.ERROR, r.id() + " failed: " + r.error());
    results.put(r.id(), r);
  }
}
