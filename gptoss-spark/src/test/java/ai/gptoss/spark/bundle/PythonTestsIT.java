package ai.gptoss.spark.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code python/tests} (pytest) against real pyspark 4.0.1 with the jar this module just packaged: the
 * Python package, the README's spark-submit lines ({@code --jars} and {@code --packages}), its Python session
 * snippet and the Databricks Python notebook. Fails when pytest fails, collects too few tests or skips any.
 */
class PythonTestsIT {
  @Test
  void pytestPasses() throws Exception {
    Path repo = Paths.get(System.getProperty("gptoss.repository")).toAbsolutePath().normalize();
    Path target = Paths.get(System.getProperty("gptoss.build.directory")).toAbsolutePath();
    Path jar = Paths.get(System.getProperty("gptoss.spark.jar")).toAbsolutePath();
    assertTrue(Files.isRegularFile(jar), "the packaged jar: " + jar);
    Path venv = PythonEnv.ready(target, repo.resolve("python/requirements-test.txt"));
    Path report = target.resolve("pytest-report.xml");
    Files.deleteIfExists(report);
    ProcessBuilder pb = new ProcessBuilder(PythonEnv.python(venv).toString(), "-m", "pytest", "-p", "no:cacheprovider",
        "-v", "-rs", "--durations=0", "--junitxml=" + report, "python/tests")
        .directory(repo.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("GPTOSS_SPARK_JAR", jar.toString());
    env.put("PYTHONPATH", repo.resolve("python").toString());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("PATH", venv.resolve("bin") + ":" + System.getenv("PATH"));
    env.remove("SPARK_HOME");
    Process p = pb.start();
    // Echoed line by line: the test JVM's own stdout is what failsafe shows and keeps in its report.
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) System.out.println(line);
    }
    assertEquals(0, p.waitFor(), "pytest python/tests failed (its output is above)");

    String xml = Files.readString(report);
    Matcher m = Pattern.compile("<testsuite [^>]*").matcher(xml);
    assertTrue(m.find(), "pytest's JUnit report: " + report);
    int tests = count(m.group(), "tests"), skipped = count(m.group(), "skipped");
    assertTrue(tests >= 15, "pytest ran " + tests + " tests");
    assertEquals(0, skipped, "pytest skipped tests: " + m.group());
  }

  private static int count(String attrs, String name) {
    Matcher m = Pattern.compile("\\b" + name + "=\"(\\d+)\"").matcher(attrs);
    assertTrue(m.find(), name + " in " + attrs);
    return Integer.parseInt(m.group(1));
  }
}
