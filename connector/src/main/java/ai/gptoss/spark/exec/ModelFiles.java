package ai.gptoss.spark.exec;

import ai.gptoss.model.EmbeddedModel;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Where an executor reads the model from: the embedded tiny-qa ({@code ""}), a local directory, or a
 * Hadoop filesystem URI (hdfs://, s3a://, abfss://, gs://, dbfs:/ ...) copied once per host to
 * {@code $GPTOSS_CACHE} (default {@code ~/.cache/gptoss}){@code /models/remote-<sha256 of the URI>}. The
 * copy goes to a temporary directory renamed into place, so concurrent executors of one host never see
 * a half-copied model, and later applications on the host reuse it.
 */
public final class ModelFiles {
  private ModelFiles() {}

  static Path localDir(String model, Configuration hadoopConf) {
    return localDir(model, hadoopConf, cacheRoot());
  }

  static Path localDir(String model, Configuration hadoopConf, Path cacheRoot) {
    if (model.isEmpty()) return EmbeddedModel.path();
    URI uri = remoteUri(model);
    if (uri == null) {
      Path p = localPath(model);
      if (!Files.isRegularFile(p.resolve("config.json"))) {
        throw new IllegalArgumentException("model " + model + ": no config.json in " + p.toAbsolutePath()
            + " (expected a directory with config.json and model.safetensors)");
      }
      return p;
    }
    return copyOnce(uri, hadoopConf, cacheRoot);
  }

  /** {@code model} as a Hadoop filesystem URI, or null when it is a local path (plain, {@code file:} or {@code C:\\}). */
  public static URI remoteUri(String model) {
    URI uri;
    try {
      uri = new URI(model);
    } catch (URISyntaxException e) {
      return null; // a local path with characters a URI does not allow
    }
    if (uri.getScheme() == null || uri.getScheme().length() == 1 || uri.getScheme().equals("file")) return null;
    return uri;
  }

  /** A local model path, plain or {@code file:} URI. */
  public static Path localPath(String model) {
    try {
      URI uri = new URI(model);
      if ("file".equals(uri.getScheme())) return Paths.get(uri);
    } catch (URISyntaxException | IllegalArgumentException e) {
      // a plain path
    }
    return Paths.get(model);
  }

  private static Path copyOnce(URI uri, Configuration conf, Path cacheRoot) {
    Path target = cacheRoot.resolve("models").resolve("remote-" + sha256(uri.toString()));
    if (Files.isRegularFile(target.resolve("config.json"))) return target;
    synchronized (ModelFiles.class) {
      if (Files.isRegularFile(target.resolve("config.json"))) return target;
      Path tmp = null;
      try {
        Files.createDirectories(target.getParent());
        tmp = Files.createTempDirectory(target.getParent(), "copy.tmp");
        FileSystem fs = FileSystem.get(uri, conf);
        org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(uri);
        boolean sawConfig = false;
        for (FileStatus st : fs.listStatus(src)) {
          if (!st.isFile()) continue;
          String name = st.getPath().getName();
          sawConfig |= name.equals("config.json");
          fs.copyToLocalFile(false, st.getPath(), new org.apache.hadoop.fs.Path(tmp.resolve(name).toUri()), true);
        }
        if (!sawConfig) throw new IllegalArgumentException("model " + uri + ": no config.json in that directory");
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException | DirectoryNotEmptyException e) {
          if (!Files.isRegularFile(target.resolve("config.json"))) throw e;
          deleteTree(tmp);
        }
        return target;
      } catch (IOException e) {
        try {
          if (tmp != null) deleteTree(tmp);
        } catch (IOException ignored) {
          // the temporary copy is left behind; the next attempt uses a new one
        }
        throw new IllegalArgumentException("model " + uri + ": cannot copy it to " + target + ": " + e.getMessage(), e);
      }
    }
  }

  static Path cacheRoot() {
    String env = System.getenv("GPTOSS_CACHE");
    if (env != null && !env.isBlank()) return Paths.get(env);
    return Paths.get(System.getProperty("user.home"), ".cache", "gptoss");
  }

  /** Total size of the checkpoint's safetensors files (what the weights take on a device, about). */
  static long weightBytes(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      long total = 0;
      for (Path p : s.filter(x -> x.getFileName().toString().endsWith(".safetensors")).toList()) total += Files.size(p);
      return total;
    } catch (IOException e) {
      throw new IllegalArgumentException("model " + dir + ": cannot list it: " + e.getMessage(), e);
    }
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)))
          .substring(0, 24);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
