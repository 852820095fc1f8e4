package ai.gptoss.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/gptoss as a user runs it (scripts/gptoss over this build's classpath): a user sees results and real
 * problems only, no JVM notices, Spark hostname or native-hadoop warnings, and a failure as one line.
 */
class LauncherTest {
  @TempDir static Path root;

  /** root/bin/gptoss, root/scripts/log4j2-cli.properties, and root/build/lib/classpath.jar naming this test's classpath. */
  @BeforeAll
  static void install() throws Exception {
    Path repo = Path.of(System.getProperty("user.dir")).getParent();
    Files.createDirectories(root.resolve("bin"));
    Files.createDirectories(root.resolve("scripts"));
    Files.createDirectories(root.resolve("build/lib"));
    Files.copy(repo.resolve("scripts/gptoss"), root.resolve("bin/gptoss"));
    Files.copy(repo.resolve("scripts/log4j2-cli.properties"), root.resolve("scripts/log4j2-cli.properties"));
    List<String> urls = new ArrayList<>();
    for (String e : System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")).split(File.pathSeparator)) {
      if (!e.isEmpty()) urls.add(Path.of(e).toUri().toString());
    }
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", urls));
    try (OutputStream out = Files.newOutputStream(root.resolve("build/lib/classpath.jar"));
        JarOutputStream jar = new JarOutputStream(out, m)) {
      // the manifest is the content
    }
  }

  record Result(int status, String out, String err) {}

  static Result gptoss(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("bin/gptoss").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator + System.getenv("PATH"));
    pb.environment().remove("GPTOSS_DEBUG");
    pb.redirectOutput(root.resolve("out.txt").toFile()).redirectError(root.resolve("err.txt").toFile());
    int status = pb.start().waitFor();
    return new Result(status, Files.readString(root.resolve("out.txt")), Files.readString(root.resolve("err.txt")));
  }

  @Test
  void helpPrintsHelpAndNothingElse() throws Exception {
    Result r = gptoss("--help");
    assertEquals(0, r.status(), r.err());
    assertEquals("", r.err(), "no JVM notice on stderr");
    assertTrue(r.out().contains("spark-benchmark"), r.out());
  }

  @Test
  void aMissingModelIsOneLineInEveryCommand() throws Exception {
    Path in = root.resolve("in.jsonl");
    Files.writeString(in, "{\"id\": 1, \"prompt\": \"What is 1 + 1?\"}\n", StandardCharsets.UTF_8);
    String missing = root.resolve("no-model").toString();
    Result gen = gptoss("spark-generate", "--input", in.toString(), "--output", root.resolve("out").toString(), "--model",
        missing, "--master", "local[1]");
    assertEquals(1, gen.status());
    assertEquals("gptoss spark-generate: gptoss(): model '" + missing + "': no such directory: " + missing + "\n", gen.err());
    Result eval = gptoss("tiny-qa-eval", "--limit", "2", "--master", "local[1]", "--output", root.resolve("eval").toString(),
        "--model", missing);
    assertEquals(1, eval.status());
    assertEquals("gptoss tiny-qa-eval: gptoss(): model '" + missing + "': no such directory: " + missing + "\n", eval.err());
    Result local = gptoss("generate", "--input", in.toString(), "--output", root.resolve("o.jsonl").toString(), "--model",
        missing);
    assertEquals(1, local.status());
    assertEquals(1, local.err().lines().count(), local.err());
    assertTrue(local.err().startsWith("gptoss generate: ") && local.err().contains(missing), local.err());
  }

  @Test
  void setupPrintsPlainText() throws Exception {
    // setup.sh's mvn_plain over a stand-in for Maven 3.8, which writes ESC[0m even in batch mode.
    Path setup = Path.of(System.getProperty("user.dir")).getParent().resolve("setup.sh");
    String script = "mvn() { printf '\\033[0m\\033[1mBUILD\\033[m done\\n'; }\n"
        + "eval \"$(sed -n '/^mvn_plain()/,/^}/p' '" + setup + "')\"\nmvn_plain install\n";
    Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor());
    assertEquals("BUILD done\n", out);
  }
}
