package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code gptoss generate --input IN.jsonl --output OUT.jsonl} in this JVM, for the batch-mode tests. */
final class GenerateRuns {
  private GenerateRuns() {}

  static final ObjectMapper JSON = new ObjectMapper();

  /** A run: exit status, the output records (none when it wrote no file) and what went to stderr. */
  record Run(int status, List<JsonNode> out, String err) {}

  /**
   * Writes {@code lines} to {@code dir/in.jsonl} and runs {@code generate --device cpu} on it into
   * {@code dir/out.jsonl}, with {@code extra} options (the embedded tiny-qa model unless they name a --model).
   */
  static Run run(Path dir, List<String> lines, String... extra) throws Exception {
    Path in = dir.resolve("in.jsonl"), out = dir.resolve("out.jsonl");
    Files.write(in, lines, StandardCharsets.UTF_8);
    List<String> args = new ArrayList<>(List.of("generate", "--device", "cpu", "--input", in.toString(), "--output",
        out.toString()));
    args.addAll(List.of(extra));
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      status = GptossCli.run(args.toArray(String[]::new));
    } finally {
      System.setErr(oldErr);
    }
    List<JsonNode> records = new ArrayList<>();
    if (Files.exists(out)) for (String l : Files.readAllLines(out)) records.add(JSON.readTree(l));
    return new Run(status, records, err.toString(StandardCharsets.UTF_8));
  }

  /** {@link #run}, which must succeed: its records. */
  static List<JsonNode> records(Path dir, List<String> lines, String... extra) throws Exception {
    Run r = run(dir, lines, extra);
    assertEquals(0, r.status(), r.err());
    return r.out();
  }
}
