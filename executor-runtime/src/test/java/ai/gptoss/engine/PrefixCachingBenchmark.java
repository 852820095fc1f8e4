package ai.gptoss.engine;

import ai.gptoss.Golden;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Prefill saved by prefix caching on tiny-qa-eval-like rows, CPU backend (embedded tiny-qa model): 48
 * eval prompts, each after a shared developer-instruction-like block of {@code shared} tokens, through a
 * fresh engine (cold cache), one generated token each, so the time is prefill. Compare
 * {@code prefixCaching=true} with {@code false}. Run: {@code scripts/jmh.sh PrefixCachingBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
public class PrefixCachingBenchmark {
  static final int ROWS = 48;

  @Param({"true", "false"})
  boolean prefixCaching;

  @Param({"0", "512"})
  int shared;

  private ModelWeights weights;
  private final List<GenerationRequest> requests = new ArrayList<>();

  @Setup
  public void setup() {
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      weights = ModelWeights.load(ckpt);
    }
    List<int[]> prompts = new ArrayList<>();
    for (JsonNode c : Golden.json("tiny-qa.eval.json").get("results")) prompts.add(Golden.ints(c.get("prompt_ids")));
    // The shared block: tokens of other eval prompts' user turns, repeated (all inside the vocabulary).
    int[] block = new int[shared];
    for (int i = 0, k = 0; i < shared; k++) {
      int[] p = prompts.get(prompts.size() - 1 - (k % 50));
      for (int j = 30; j < p.length && i < shared; j++) block[i++] = p[j];
    }
    for (int r = 0; r < ROWS; r++) {
      int[] p = prompts.get(r % prompts.size());
      int[] row = Arrays.copyOf(block, shared + p.length);
      System.arraycopy(p, 0, row, shared, p.length);
      requests.add(GenerationRequest.greedy("row-" + r, row, 1, List.of()));
    }
  }

  /** Returns the prompt tokens served from the cache (the score is the time). */
  @Benchmark
  public long prefillRows() {
    long cached = 0;
    try (CpuBackend b = new CpuBackend(weights);
        Engine e = Engine.start(b, EngineConfig.defaults().withMaxTokensPerStep(512).withPrefixCaching(prefixCaching))) {
      for (RequestHandle h : e.submitAll(requests)) cached += h.result().join().cachedTokens();
    }
    return cached;
  }
}
