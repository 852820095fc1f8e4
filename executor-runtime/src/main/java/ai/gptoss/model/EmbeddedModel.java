package ai.gptoss.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;

/**
 * The embedded default model, tiny-qa: a small GPT-OSS (full o200k_harmony vocabulary, MXFP4
 * experts) trained to answer arithmetic and capital-city questions in the harmony format. Shipped
 * gzipped in the jar (1.4 MB) and unpacked once to a local cache directory, so every command works
 * without {@code --model}.
 */
public final class EmbeddedModel {
  public static final String NAME = "tiny-qa";
  private static final String RESOURCE_DIR = "/ai/gptoss/models/tiny-qa/";
  private static volatile Path unpacked;

  private EmbeddedModel() {}

  /**
   * The unpacked model directory: {@code $GPTOSS_CACHE} or {@code ~/.cache/gptoss}, then
   * {@code models/tiny-qa-<size>}. Unpacking writes to a temporary directory and renames it, so
   * concurrent JVMs (Spark executors on one host) never see a half-written model.
   */
  public static Path path() {
    Path p = unpacked;
    if (p != null) return p;
    synchronized (EmbeddedModel.class) {
      if (unpacked == null) unpacked = unpack(cacheRoot());
      return unpacked;
    }
  }

  static Path cacheRoot() {
    String env = System.getenv("GPTOSS_CACHE");
    if (env != null && !env.isBlank()) return Paths.get(env);
    return Paths.get(System.getProperty("user.home"), ".cache", "gptoss");
  }

  private static Path unpack(Path root) {
    try {
      byte[] config = read("config.json");
      Path target = root.resolve("models").resolve(NAME + "-" + Integer.toHexString(java.util.Arrays.hashCode(config)));
      if (Files.exists(target.resolve(Checkpoint.SINGLE))) return target;
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempDirectory(target.getParent(), NAME + ".tmp");
      Files.write(tmp.resolve(Checkpoint.CONFIG), config);
      try (InputStream gz = new GZIPInputStream(resource("model.safetensors.gz"), 1 << 16)) {
        Files.copy(gz, tmp.resolve(Checkpoint.SINGLE));
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException | java.nio.file.FileAlreadyExistsException
          | java.nio.file.DirectoryNotEmptyException e) {
        if (!Files.exists(target.resolve(Checkpoint.SINGLE))) throw e;
        deleteTree(tmp);
      }
      return target;
    } catch (IOException e) {
      throw new CheckpointException("cannot unpack the embedded model to " + root + ": " + e.getMessage()
          + " (set GPTOSS_CACHE to a writable directory)", e);
    }
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = EmbeddedModel.class.getResourceAsStream(RESOURCE_DIR + name);
    if (in == null) throw new IOException("resource " + RESOURCE_DIR + name + " is missing from the jar");
    return in;
  }

  private static byte[] read(String name) throws IOException {
    try (InputStream in = resource(name)) {
      return in.readAllBytes();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
