package ai.gptoss.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A JVM without {@code --add-modules jdk.incubator.vector} runs the scalar CPU kernels and logs one WARNING
 * that names the flag, however many products it computes; with the module it runs SIMD and says nothing.
 * Each case runs {@link #main} in a child JVM (this test JVM has the module).
 */
class VectorModuleWarningTest {
  /** The child: two products (Matmul initializes once), then what it computed and which kernels it used. */
  public static void main(String[] args) {
    float[] x = {1, 2, 3, 4}, w = {1, 1, 1, 1}, y = new float[1];
    Matmul.linear(x, 1, 4, w, null, 1, y);
    Matmul.linear(x, 1, 4, w, null, 1, y);
    System.out.println("y=" + y[0] + " simd=" + Matmul.SIMD);
  }

  @Test
  void withoutTheModuleOneWarningNamesTheFlag() throws Exception {
    String out = child(false);
    assertTrue(out.contains("y=10.0 simd=false"), out);
    assertEquals(1, count(out, "WARNING: " + Matmul.NO_VECTOR_MODULE), out);
    assertEquals(1, count(out, "--add-modules jdk.incubator.vector"), out);
  }

  @Test
  void withTheModuleNoWarning() throws Exception {
    String out = child(true);
    assertTrue(out.contains("y=10.0 simd=true"), out);
    assertFalse(out.contains(Matmul.NO_VECTOR_MODULE), out);
  }

  private static String child(boolean vectorModule) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
    if (vectorModule) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
    cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        VectorModuleWarningTest.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out;
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
    return n;
  }
}
