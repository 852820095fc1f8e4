package ai.gptoss.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/gptoss}: the command-line entry point. */
@Command(
    name = "gptoss",
    mixinStandardHelpOptions = true,
    version = "gptoss 0.1.0",
    description = "Runs OpenAI gpt-oss models: logits, generation, tokenizer and harmony chat format.",
    footer = {"", "Spark commands (bin/gptoss runs them with Spark on the classpath; each takes --help):",
        "  spark-generate   generate's batch format as a Spark job",
        "  tiny-qa-eval     the example evaluation job: questions -> gptoss() -> scores -> Parquet",
        "  spark-benchmark  gptoss() in Spark against the same prompts fed to one engine directly",
        "  spark-bench      bench's random-prompt workload through gptoss() in a Spark job"},
    subcommands = {LogitsCommand.class, GenerateCommand.class, TokenizeCommand.class, RenderCommand.class, ParseCommand.class,
        BenchCommand.class, CommandLine.HelpCommand.class})
public final class GptossCli {
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit status (tests call this instead of main). */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new GptossCli());
    cl.setExpandAtFiles(false); // generate --response-format @schema.json reads the file itself
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("gptoss " + cmd.getCommandName() + ": " + Errors.describe(ex));
      if (System.getenv("GPTOSS_DEBUG") != null) ex.printStackTrace(cmd.getErr());
      return 1;
    });
    return cl.execute(args);
  }
}
