package ai.gptoss.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/architecture.md stays true where it names code: every class in backticks exists (and every
 * {@code Class.member} names a member of it), every package and path in backticks exists, and every class the
 * package table lists under a package is in that package (or in a subpackage the table does not list itself).
 */
class ArchitectureDocTest {
  private static final Path ROOT = ConfigurationDocTest.ROOT;
  private static final Pattern CODE = Pattern.compile("`([^`]+)`");
  private static final Pattern CLASS = Pattern.compile("(?:ai\\.gptoss(?:\\.[a-z]+)*\\.)?([A-Z][a-z]\\w*)(?:\\.(\\w+))?");
  private static final Pattern PACKAGE = Pattern.compile("ai\\.gptoss(?:\\.[a-z]+)+");
  private static final Pattern PATH = Pattern.compile("[a-z-]+(?:/[\\w.-]+)+");

  private final String doc = ConfigurationDocTest.read(ROOT.resolve("docs/architecture.md"));
  private final Map<String, List<Path>> sources = sources();

  /** Simple class name to its source files, over every module's main and test code. */
  private static Map<String, List<Path>> sources() {
    Map<String, List<Path>> m = new HashMap<>();
    for (String module : List.of("native", "executor-runtime", "connector", "examples", "gptoss-spark")) {
      for (Path f : ConfigurationDocTest.files(ROOT.resolve(module).resolve("src"))) {
        String name = f.getFileName().toString();
        if (name.endsWith(".java")) m.computeIfAbsent(name.substring(0, name.length() - 5), k -> new ArrayList<>()).add(f);
      }
    }
    return m;
  }

  private static String packageOf(Path source) {
    Matcher m = Pattern.compile("(?m)^package ([\\w.]+);").matcher(ConfigurationDocTest.read(source));
    return m.find() ? m.group(1) : "";
  }

  @Test
  void everyClassMemberPackageAndPathItNamesExists() {
    Set<String> missing = new TreeSet<>();
    Matcher code = CODE.matcher(doc);
    int classes = 0;
    while (code.find()) {
      String c = code.group(1);
      Matcher cls = CLASS.matcher(c);
      if (cls.matches()) {
        classes++;
        List<Path> files = sources.get(cls.group(1));
        if (files == null) {
          missing.add("class " + c);
        } else if (cls.group(2) != null
            && files.stream().noneMatch(f -> Pattern.compile("\\b" + cls.group(2) + "\\b").matcher(ConfigurationDocTest.read(f)).find())) {
          missing.add("member " + c);
        }
        if (c.startsWith("ai.gptoss.")) {
          String pkg = c.substring(0, c.lastIndexOf('.' + cls.group(1)));
          if (files != null && files.stream().map(ArchitectureDocTest::packageOf).noneMatch(pkg::equals)) missing.add("class " + c);
        }
      } else if (PACKAGE.matcher(c).matches()) {
        if (!packageExists(c)) missing.add("package " + c);
      } else if (PATH.matcher(c).matches() && !c.contains("<")) {
        if (!Files.exists(ROOT.resolve(c))) missing.add("path " + c);
      }
    }
    assertTrue(classes > 40, "the doc names " + classes + " classes; the pattern no longer finds them");
    assertEquals(Set.of(), missing, "docs/architecture.md names what does not exist");
  }

  @Test
  void thePackageTableListsEachClassUnderItsPackage() {
    String section = doc.substring(doc.indexOf("## Modules and packages"));
    section = section.substring(0, section.indexOf("\n## ", 1));
    List<String> rows = section.lines().filter(l -> l.startsWith("| `")).toList();
    Set<String> tablePackages = new LinkedHashSet<>();
    for (String row : rows) tablePackages.addAll(packages(row.split("\\|")[1]));
    assertTrue(tablePackages.contains("ai.gptoss.spark.plan") && tablePackages.contains("ai.gptoss.spark.exec"), tablePackages.toString());
    Set<String> wrong = new TreeSet<>();
    for (String row : rows) {
      String[] cells = row.split("\\|");
      Set<String> own = packages(cells[1]);
      Matcher code = CODE.matcher(cells[2]);
      while (code.find()) {
        Matcher cls = CLASS.matcher(code.group(1));
        if (!cls.matches() || !sources.containsKey(cls.group(1))) continue;
        boolean placed = false;
        for (Path f : sources.get(cls.group(1))) {
          String pkg = packageOf(f);
          for (String p : own) {
            placed |= pkg.equals(p) || pkg.startsWith(p + ".") && !tablePackages.contains(pkg);
          }
        }
        if (!placed) wrong.add(cls.group(1) + " is not in " + own);
      }
    }
    assertEquals(Set.of(), wrong, "docs/architecture.md's package table");
  }

  private static Set<String> packages(String cell) {
    Set<String> out = new LinkedHashSet<>();
    Matcher code = CODE.matcher(cell);
    while (code.find()) {
      if (PACKAGE.matcher(code.group(1)).matches()) out.add(code.group(1));
    }
    return out;
  }

  private static boolean packageExists(String pkg) {
    String dir = pkg.replace('.', '/');
    for (String module : List.of("native", "executor-runtime", "connector", "examples", "gptoss-spark")) {
      if (Files.isDirectory(ROOT.resolve(module).resolve("src/main/java").resolve(dir))) return true;
    }
    return false;
  }
}
