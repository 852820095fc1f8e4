package ai.gptoss.spark.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The build's Python virtual environment, {@code target/venv}: pip's pyspark (Spark 4.0.1 with its own
 * {@code spark-submit}) and pytest, pinned in {@code python/requirements-test.txt}. Created once per build
 * directory and reused while the pins are unchanged (a copy of them is kept in the environment).
 */
final class PythonEnv {
  private PythonEnv() {}

  /** The environment's directory, created or updated as needed. */
  static synchronized Path ready(Path target, Path requirements) throws IOException, InterruptedException {
    Path venv = target.resolve("venv");
    Path stamp = venv.resolve("gptoss-requirements.txt");
    String pins = Files.readString(requirements);
    if (Files.exists(stamp) && Files.readString(stamp).equals(pins) && Files.isExecutable(python(venv))) return venv;
    run(List.of("python3", "-m", "venv", "--clear", venv.toString()),
        "python3 -m venv failed: the PySpark tests need Python 3.9+ with venv (Debian: apt-get install python3-venv)");
    run(List.of(venv.resolve("bin/pip").toString(), "install", "-q", "--disable-pip-version-check", "-r",
        requirements.toString()), "pip install -r " + requirements + " failed (PyPI must be reachable)");
    Files.writeString(stamp, pins);
    return venv;
  }

  static Path python(Path venv) {
    return venv.resolve("bin/python");
  }

  private static void run(List<String> cmd, String failure) throws IOException, InterruptedException {
    System.out.println("python env: " + String.join(" ", cmd));
    Process p;
    try {
      p = new ProcessBuilder(cmd).inheritIO().start();
    } catch (IOException e) {
      throw new IllegalStateException(failure + ": " + e.getMessage(), e);
    }
    int rc = p.waitFor();
    if (rc != 0) throw new IllegalStateException(failure + " (exit " + rc + ")");
  }
}
