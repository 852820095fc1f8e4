package ai.gptoss.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine settings' variables ({@code GPTOSS_PRECISION}, {@code GPTOSS_KV_CACHE_DTYPE}) are read only where settings
 * are parsed (docs/configuration.md): the command line's flags ({@code DeviceOptions}) and {@link EngineSettings}'s
 * own {@code fromEnvironment}, besides the two enums that define their parsers. Backends, their test conveniences
 * included, take settings as arguments.
 */
class EnvironmentReadsTest {
  /** A read of either variable: its parsers' environment forms, a lookup of its name ({@code getenv(ENV)}), the name itself. */
  private static final Pattern READ = Pattern.compile(
      "(Precision|KvCacheDtype)\\.fromEnvironment\\(|Precision\\.fromOption\\(|\\((Precision\\.|KvCacheDtype\\.)?ENV\\)"
          + "|\"GPTOSS_PRECISION\"|\"GPTOSS_KV_CACHE_DTYPE\"");
  private static final Set<String> PARSERS = Set.of("ai/gptoss/backend/Precision.java", "ai/gptoss/backend/KvCacheDtype.java",
      "ai/gptoss/engine/EngineSettings.java", "ai/gptoss/cli/DeviceOptions.java");

  @Test
  void onlyTheSettingsParsersReadTheEngineSettingsVariables() throws IOException {
    Path main = Path.of("src/main/java");
    assertTrue(Files.isDirectory(main), "run from the module directory: " + main.toAbsolutePath());
    Set<String> readers = new TreeSet<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(main)) {
      files = s.filter(p -> p.toString().endsWith(".java")).toList();
    }
    for (Path f : files) {
      if (READ.matcher(Files.readString(f)).find()) readers.add(main.relativize(f).toString().replace('\\', '/'));
    }
    assertTrue(readers.containsAll(Set.of("ai/gptoss/engine/EngineSettings.java", "ai/gptoss/cli/DeviceOptions.java")),
        "the scan finds the parsers: " + readers);
    readers.removeAll(PARSERS);
    assertEquals(Set.of(), readers, "read GPTOSS_PRECISION / GPTOSS_KV_CACHE_DTYPE outside the settings parsers");
  }
}
