package ai.gptoss.cli;

import ai.gptoss.harmony.HarmonyJson;
import ai.gptoss.harmony.HarmonyParser;
import ai.gptoss.harmony.Role;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code gptoss parse --ids 1,2,3}: harmony messages of a completion, as JSON. */
@Command(name = "parse", mixinStandardHelpOptions = true,
    description = {"Prints {\"messages\": [...]} in harmony's JSON form for the completion --ids (what the model generated "
        + "after <|start|>assistant). Malformed completions still parse; then \"issues\" lists what was wrong."})
final class ParseCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  // A String, converted in call(): picocli would treat an int[] field as a repeatable option of single ints.
  @Option(names = "--ids", required = true, paramLabel = "IDS", description = "Comma-separated completion token ids.")
  String ids;

  @Option(names = "--start-role", defaultValue = "assistant", paramLabel = "ROLE",
      description = "Role of the first message, whose <|start|>role is in the prompt (default: ${DEFAULT-VALUE}); "
          + "'none' when the ids begin with <|start|>.")
  String startRole;

  @Override
  public Integer call() throws Exception {
    int[] tokenIds;
    try {
      tokenIds = new TokenIds().convert(ids);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--ids: " + e.getMessage());
    }
    Role role = null;
    if (!startRole.equals("none")) {
      role = Role.fromWire(startRole);
      if (role == null) {
        throw new IllegalArgumentException("--start-role: '" + startRole + "' is not one of user, assistant, system, developer, tool, none");
      }
    }
    var out = HarmonyJson.write(HarmonyParser.get().parse(tokenIds, role));
    spec.commandLine().getOut().println(new ObjectMapper().writeValueAsString(out));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
