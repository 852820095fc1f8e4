package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.engine.RequestChecks;
import ai.gptoss.engine.SingleSequence;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code gptoss logits --input-ids 1,2,3}: all vocabulary logits at the last position, as JSON. */
@Command(name = "logits", mixinStandardHelpOptions = true,
    description = "Prints {\"last_logits\": [...]} for the last position of --input-ids.")
final class LogitsCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--input-ids", required = true, paramLabel = "IDS", split = ",",
      description = "Comma-separated prompt token ids.")
  int[] inputIds;

  @Override
  public Integer call() throws Exception {
    try (Backend b = model.open()) {
      String bad = RequestChecks.inputIds(inputIds, b.config().vocabSize());
      if (bad != null) throw new IllegalArgumentException("--input-ids: " + bad);
      float[] last = new SingleSequence(b, inputIds.length).feed(inputIds, false, SamplingParams.greedy()).logits()[0];
      ObjectMapper json = new ObjectMapper();
      ObjectNode out = json.createObjectNode();
      ArrayNode arr = out.putArray("last_logits");
      for (float f : last) arr.add(f);
      System.out.println(json.writeValueAsString(out));
    }
    return 0;
  }
}
