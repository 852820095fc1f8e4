package ai.gptoss.backend.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Named GPU checks run one after another (GpuConformance, GraphCheck): one line each,
 * {@code <prefix><name> PASS|FAIL <detail> (<seconds>s)}, printed as it finishes and kept; a check
 * fails by throwing (an {@link AssertionError} from {@link #require} or anything else).
 */
final class GpuChecks {
  interface Check {
    String run() throws Exception;
  }

  private final String prefix;
  final List<String> lines = new ArrayList<>();
  final List<String> failures = new ArrayList<>();

  GpuChecks(String prefix) {
    this.prefix = prefix;
  }

  void run(String name, Check c) {
    long t0 = System.nanoTime();
    String line;
    try {
      line = prefix + name + " PASS " + c.run();
    } catch (AssertionError e) {
      failures.add(name);
      line = prefix + name + " FAIL " + e.getMessage();
    } catch (Throwable e) {
      failures.add(name);
      line = prefix + name + " FAIL " + e;
      e.printStackTrace();
    }
    line += String.format(Locale.ROOT, " (%.1fs)", (System.nanoTime() - t0) / 1e9);
    System.out.println(line);
    lines.add(line);
  }

  static void require(boolean ok, String msg) {
    if (!ok) throw new AssertionError(msg);
  }
}
