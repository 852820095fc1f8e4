package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.GpuChecks.require;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.model.ModelWeights;
import ai.gptoss.structured.StructuredRuns;
import java.util.Map;

/**
 * Structured output on a device (issue 20): {@code StructuredOutputCheck cuda|cpu}. The embedded tiny-qa
 * model answers under every test schema (src/test/resources/structured/schemas.jsonl), greedy and
 * sampled, from the start of the answer and from the final message's start, in one continuous batch;
 * every completed answer must parse and validate with networknt's json-schema-validator, no row may
 * sample a token its mask forbids (the engine fails such a row), and every schema must get completed
 * answers. One {@code CHECK structured [device] <schema> PASS|FAIL} line per schema; exit 1 on any
 * failure. CI runs the same on the CPU backend (StructuredEngineTest).
 */
public final class StructuredOutputCheck {
  private StructuredOutputCheck() {}

  public static void main(String[] args) {
    if (args.length != 1 || !(args[0].equals("cuda") || args[0].equals("cpu"))) {
      System.err.println("usage: StructuredOutputCheck cuda|cpu");
      System.exit(2);
    }
    GpuChecks checks = new GpuChecks("CHECK structured [" + args[0] + "] ");
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
      w = ModelWeights.load(ckpt);
    }
    Map<String, StructuredRuns.Outcome>[] out = new Map[1];
    try (Backend b = args[0].equals("cpu") ? new CpuBackend(w)
        : CudaBackend.upload(w, 0, Precision.EXACT, EngineSettings.fromEnvironment("", "cuda:0").kvCacheDtype());
        Engine e = Engine.start(b, EngineConfig.defaults())) {
      checks.run("run", () -> {
        out[0] = StructuredRuns.run(e, 160);
        return out[0].size() + " schemas";
      });
      if (b instanceof CudaBackend cb) System.out.println("token masks uploaded: " + cb.maskUploads());
    }
    if (out[0] != null) {
      out[0].forEach((name, o) -> checks.run(name, () -> {
        require(o.problems().isEmpty(), o.problems().toString());
        require(o.completed() >= 1, "no completed answer of " + o.requests());
        return o.completed() + "/" + o.requests() + " completed, all valid";
      }));
    }
    System.out.println("---- structured output on " + args[0] + ": " + (checks.failures.isEmpty() ? "PASS" : "FAIL " + checks.failures));
    System.exit(checks.failures.isEmpty() ? 0 : 1);
  }
}
