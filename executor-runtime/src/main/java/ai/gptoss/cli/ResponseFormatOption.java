package ai.gptoss.cli;

import ai.gptoss.structured.ResponseFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --response-format JSON|@FILE}: the JSON schema of the lines that give no {@code response_format} of their
 * own, shared by {@code generate} and {@code spark-generate} (a picocli mixin of both). Parsed and checked once, at
 * start-up, before anything runs; a bad one fails the command with an error naming the flag.
 */
public final class ResponseFormatOption {
  static final String NAME = "--response-format";

  @Option(names = NAME, paramLabel = "JSON|@FILE",
      description = "A JSON schema the final answer follows (OpenAI's {\"type\": \"json_schema\", \"json_schema\": {\"name\", "
          + "\"schema\"}} or a bare schema), as text or @file: the default of lines without their own response_format "
          + "(null there turns it off); the model reasons freely, its final message is constrained token by token to JSON "
          + "the schema accepts, and each record's value is that JSON (docs/structured-output.md). Default: none.")
  String text;

  /** The schema given, null when none; throws {@link IllegalArgumentException} naming the flag when it is bad. */
  public ResponseFormat responseFormat() {
    if (text == null) return null;
    String json = text;
    if (json.startsWith("@")) {
      Path f = Path.of(json.substring(1));
      if (!Files.isRegularFile(f)) throw new IllegalArgumentException(NAME + " " + json + ": no such file");
      try {
        json = Files.readString(f, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(NAME + " " + text + ": " + e.getMessage(), e);
      }
    }
    try {
      return ResponseFormat.parse(json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(NAME + ": " + e.getMessage(), e);
    }
  }
}
