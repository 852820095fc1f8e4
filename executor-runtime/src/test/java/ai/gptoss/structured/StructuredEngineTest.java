package ai.gptoss.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import ai.gptoss.harmony.Harmony;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The embedded tiny-qa model on the CPU backend answers under every test schema, greedy and sampled,
 * through the engine with continuous batching: every completed answer (finish STOP) parses and
 * validates against its schema with networknt's validator, and every schema gets completed answers.
 */
class StructuredEngineTest {
  static final String[] QUESTIONS = {"What is the capital of France?"};
  static final int[] FINAL_HEADER = HarmonyTokenizer.get().encodeWithSpecialTokens("<|channel|>final<|message|>");
  static CpuBackend backend;
  static Engine engine;

  @BeforeAll
  static void start() {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      w = ModelWeights.load(ckpt);
    }
    backend = new CpuBackend(w);
    engine = Engine.start(backend, EngineConfig.defaults());
  }

  @AfterAll
  static void stop() {
    engine.close();
    backend.close();
  }

  /** A prompt that ends where the final answer's message starts: every generated token is constrained. */
  static int[] atFinal(String question) {
    return concat(Harmony.prompt(question), FINAL_HEADER);
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void everyCompletedAnswerValidates() {
    List<Schemas.Case> cases = Schemas.all();
    List<GenerationRequest> reqs = new ArrayList<>();
    List<Schemas.Case> of = new ArrayList<>();
    for (Schemas.Case c : cases) {
      for (int q = 0; q < QUESTIONS.length; q++) {
        // modes 0-2 from the start of the answer (reasoning first), 3-4 from the final message's start;
        // 0 and 3 greedy, the others sampled
        for (int mode = 0; mode < 5; mode++) {
          int[] prompt = mode >= 3 ? atFinal(QUESTIONS[q]) : Harmony.prompt(QUESTIONS[q]);
          SamplingParams sp = mode % 3 == 0 ? SamplingParams.greedy() : SamplingParams.of(1.0f, 0.95f, 0, 1000L * q + mode);
          reqs.add(new GenerationRequest(c.name() + "/" + q + "/" + mode, prompt, 160, ai.gptoss.harmony.HarmonyTokens.STOP_TOKENS_FOR_ASSISTANT_ACTIONS, sp, c.format()));
          of.add(c);
        }
      }
    }
    List<RequestHandle> hs = engine.submitAll(reqs);
    Map<String, Integer> completed = new HashMap<>();
    for (int i = 0; i < hs.size(); i++) {
      GenerationResult r = hs.get(i).result().join();
      Schemas.Case c = of.get(i);
      boolean fromFinal = r.id().endsWith("/3") || r.id().endsWith("/4");
      Harmony.Completion done = Harmony.completion(fromFinal ? concat(FINAL_HEADER, r.outputIds()) : r.outputIds());
      assertNull(r.error(), r.id());
      if (r.finishReason() != FinishReason.STOP) continue;
      assertNotNull(done.finalText(), r.id() + ": " + done.text());
      assertNull(c.problem(done.finalText()), r.id() + ": " + done.text());
      completed.merge(c.name(), 1, Integer::sum);
    }
    long maskNanos = 0, masks = 0;
    for (Schemas.Case c : cases) {
      SchemaMasks.Stats st = SchemaMasks.of(c.format(), backend.config().vocabSize()).stats();
      maskNanos += st.computeNanos();
      masks += st.computed();
    }
    System.out.printf("structured: completed per schema %s; %d masks computed in %.1f ms%n", completed, masks, maskNanos / 1e6);
    for (Schemas.Case c : cases) assertTrue(completed.getOrDefault(c.name(), 0) >= 1, c.name() + ": no completed answer");
  }
}
