package ai.gptoss.structured;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import ai.gptoss.harmony.Harmony;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.harmony.HarmonyTokens;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The structured-output run shared by the CPU test (StructuredEngineTest) and the device checker
 * (StructuredOutputCheck): every test schema x five modes (greedy and two sampled from the start of the
 * answer, so the model reasons first; greedy and sampled from the final message's start), all in one
 * continuous batch; every completed answer (finish STOP) checked with the independent validator.
 */
public final class StructuredRuns {
  private StructuredRuns() {}

  static final String QUESTION = "What is the capital of France?";
  static final int[] FINAL_HEADER = HarmonyTokenizer.get().encodeWithSpecialTokens("<|channel|>final<|message|>");
  static final int MODES = 5;

  /** Per schema: requests, completed answers, and the problems found (empty when all validate). */
  public record Outcome(int requests, int completed, List<String> problems) {}

  static int[] concat(int[] a, int[] b) {
    int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Runs every schema through {@code engine}; outcomes by schema name, in file order. */
  public static Map<String, Outcome> run(Engine engine, int maxNewTokens) {
    List<Schemas.Case> cases = Schemas.all();
    List<GenerationRequest> reqs = new ArrayList<>();
    List<Schemas.Case> of = new ArrayList<>();
    for (Schemas.Case c : cases) {
      for (int mode = 0; mode < MODES; mode++) {
        boolean fromFinal = mode >= 3;
        int[] prompt = fromFinal ? concat(Harmony.prompt(QUESTION), FINAL_HEADER) : Harmony.prompt(QUESTION);
        SamplingParams sp = mode % 3 == 0 ? SamplingParams.greedy() : SamplingParams.of(1.0f, 0.95f, 0, 1000L + mode);
        reqs.add(new GenerationRequest(c.name() + "/" + mode, prompt, maxNewTokens, HarmonyTokens.STOP_TOKENS_FOR_ASSISTANT_ACTIONS,
            sp, c.format()));
        of.add(c);
      }
    }
    List<RequestHandle> hs = engine.submitAll(reqs);
    Map<String, int[]> counts = new LinkedHashMap<>();
    Map<String, List<String>> problems = new LinkedHashMap<>();
    for (Schemas.Case c : cases) {
      counts.put(c.name(), new int[2]);
      problems.put(c.name(), new ArrayList<>());
    }
    for (int i = 0; i < hs.size(); i++) {
      GenerationResult r = hs.get(i).result().join();
      Schemas.Case c = of.get(i);
      counts.get(c.name())[0]++;
      boolean fromFinal = Integer.parseInt(r.id().substring(r.id().lastIndexOf('/') + 1)) >= 3;
      Harmony.Completion done = Harmony.completion(fromFinal ? concat(FINAL_HEADER, r.outputIds()) : r.outputIds());
      if (r.error() != null) {
        problems.get(c.name()).add(r.id() + ": error " + r.error());
        continue;
      }
      if (r.finishReason() != FinishReason.STOP) continue;
      counts.get(c.name())[1]++;
      String problem = done.finalText() == null ? "no final answer" : c.problem(done.finalText());
      if (problem != null) problems.get(c.name()).add(r.id() + ": " + problem + " in " + done.text());
    }
    Map<String, Outcome> out = new LinkedHashMap<>();
    for (Schemas.Case c : cases) out.put(c.name(), new Outcome(counts.get(c.name())[0], counts.get(c.name())[1], problems.get(c.name())));
    return out;
  }
}
