package ai.gptoss.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.cli.GptossCli;
import ai.gptoss.spark.generate.SparkGenerate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Every command's --help: named as bin/gptoss calls it, a whole summary line, every option described. */
class CommandHelpTest {
  private static List<CommandSpec> commands() {
    List<CommandSpec> out = new ArrayList<>();
    CommandLine cli = new CommandLine(new GptossCli());
    out.add(cli.getCommandSpec());
    cli.getSubcommands().values().forEach(c -> out.add(c.getCommandSpec()));
    for (Object spark : new Object[] {new SparkGenerate(), new TinyQaEvaluation(), new ThroughputBenchmark(), new SparkBench()}) {
      out.add(new CommandLine(spark).getCommandSpec());
    }
    return out;
  }

  @Test
  void everyOptionIsDescribed() {
    List<String> missing = new ArrayList<>();
    for (CommandSpec c : commands()) {
      for (OptionSpec o : c.options()) {
        if (o.description().length == 0 || String.join("", o.description()).isBlank()) missing.add(c.name() + " " + o.longestName());
      }
    }
    assertEquals(List.of(), missing);
  }

  @Test
  void summariesAreWholeSentencesAndTheSparkCommandsAreListed() {
    for (CommandSpec c : commands()) {
      String first = c.usageMessage().description()[0];
      assertTrue(first.endsWith("."), c.name() + "'s summary line is cut: " + first);
    }
    assertEquals("spark-benchmark", new CommandLine(new ThroughputBenchmark()).getCommandName());
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, GptossCli.run("--help"));
    } finally {
      System.setOut(old);
    }
    String help = out.toString(StandardCharsets.UTF_8);
    for (String name : List.of("spark-generate", "tiny-qa-eval", "spark-benchmark", "spark-bench")) {
      assertTrue(help.contains("  " + name + " "), name + " missing from --help:\n" + help);
    }
    // The summary is wrapped to the terminal's width: compare it without the line breaks.
    String flat = help.replaceAll("\\s+", " ");
    assertTrue(flat.contains("generate Generates from --input-ids, or from every line of an --input JSONL file into --output."),
        help);
  }
}
