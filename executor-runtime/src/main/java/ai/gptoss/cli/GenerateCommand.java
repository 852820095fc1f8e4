package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.engine.SingleSequence;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code gptoss generate --input-ids 1,2,3 --max-new-tokens N}: one generation, as JSON. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generates after --input-ids; prints {\"output_ids\": [...], \"finish_reason\": ...}.")
final class GenerateCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--input-ids", paramLabel = "IDS", split = ",",
      description = "Comma-separated prompt token ids.")
  int[] inputIds;

  @Option(names = "--max-new-tokens", defaultValue = "64", description = "Generation limit. Default: ${DEFAULT-VALUE}.")
  int maxNewTokens;

  @Option(names = "--temperature", defaultValue = "0", description = "0 (default) is greedy.")
  float temperature;

  @Option(names = "--top-p", defaultValue = "1") float topP;

  @Option(names = "--top-k", defaultValue = "0") int topK;

  @Option(names = "--seed", defaultValue = "0") long seed;

  @Override
  public Integer call() throws Exception {
    if (inputIds == null) throw new IllegalArgumentException("give --input-ids 1,2,3");
    if (maxNewTokens < 1) throw new IllegalArgumentException("--max-new-tokens must be at least 1, got " + maxNewTokens);
    try (Backend b = model.open()) {
      CliChecks.checkIds(inputIds, b.config());
      List<Integer> stops = b.config().eosTokenIds();
      SamplingParams sp = new SamplingParams(temperature, topP, topK, seed, 0);
      List<Integer> out = new SingleSequence(b, inputIds.length + maxNewTokens).generate(inputIds, maxNewTokens, sp, stops);
      ObjectMapper json = new ObjectMapper();
      ObjectNode o = json.createObjectNode();
      ArrayNode arr = o.putArray("output_ids");
      out.forEach(arr::add);
      boolean stopped = !out.isEmpty() && stops.contains(out.get(out.size() - 1));
      o.put("finish_reason", stopped ? "stop" : "length");
      System.out.println(json.writeValueAsString(o));
    }
    return 0;
  }
}
