package ai.gptoss.cli;

import ai.gptoss.harmony.HarmonyTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code gptoss tokenize --text "..."}: o200k_harmony token ids of a text, as JSON. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
    description = "Prints {\"ids\": [...]}: the o200k_harmony tokens of --text.")
final class TokenizeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--text", required = true, description = "The text to encode.")
  String text;

  @Option(names = "--allow-special",
      description = "Encode special-token text such as <|start|> as the special id (default: as ordinary text, as harmony's encode does).")
  boolean allowSpecial;

  @Override
  public Integer call() throws Exception {
    HarmonyTokenizer tok = HarmonyTokenizer.get();
    int[] ids = allowSpecial ? tok.encodeWithSpecialTokens(text) : tok.encode(text);
    ObjectMapper json = new ObjectMapper();
    ObjectNode out = json.createObjectNode();
    ArrayNode arr = out.putArray("ids");
    for (int id : ids) arr.add(id);
    spec.commandLine().getOut().println(json.writeValueAsString(out));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
