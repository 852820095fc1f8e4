package ai.gptoss.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md's table of environment variables lists exactly the {@code GPTOSS_*} variables the project
 * reads: in its Java code (main and test), its scripts and its notebooks' init script. C macros passed to NVRTC
 * ({@code -DGPTOSS_KV_FP8}) are not variables.
 */
class ConfigurationDocTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern VARIABLE = Pattern.compile("(?<![-\\w])GPTOSS_[A-Z0-9_]+");
  private static final Pattern TABLE_ROW = Pattern.compile("^\\| `(GPTOSS_[A-Z0-9_]+)` \\|", Pattern.MULTILINE);

  @Test
  void theEnvironmentTableListsEveryVariableTheCodeReadsAndNoOther() {
    Set<String> read = new TreeSet<>();
    for (String dir : List.of("native/src", "executor-runtime/src", "connector/src", "examples/src", "gptoss-spark/src",
        "python", "scripts", "notebooks", ".ci")) {
      for (Path f : files(ROOT.resolve(dir))) {
        String name = f.getFileName().toString();
        if (!(name.endsWith(".java") || name.endsWith(".sh") || name.endsWith(".py") || name.equals("gptoss")
            || name.equals("run"))) {
          continue;
        }
        if (f.endsWith("ConfigurationDocTest.java")) continue;
        Matcher m = VARIABLE.matcher(read(f));
        while (m.find()) read.add(m.group());
      }
    }
    Set<String> documented = new TreeSet<>();
    Matcher m = TABLE_ROW.matcher(read(ROOT.resolve("docs/configuration.md")));
    while (m.find()) documented.add(m.group(1));
    assertEquals(read, documented, "docs/configuration.md's environment table against the GPTOSS_* names in the code");
  }

  static List<Path> files(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).filter(p -> !p.toString().contains("/target/")
          && !p.toString().contains("/node_modules/") && !p.toString().contains("/.venv")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      throw new UncheckedIOException(f + ": " + e, e);
    }
  }
}
