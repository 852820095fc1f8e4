package ai.gptoss.spark.plan;

import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.CheckpointException;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.spark.exec.ModelFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the driver can check about a {@code model} before any task runs, so that a wrong path fails the
 * query at once with one line naming it instead of failing every task. A local directory the driver
 * sees must hold a readable checkpoint ({@code config.json} that parses, weights whose safetensors
 * headers parse); one it does not see is an error when the executors share the driver's disk (local
 * master) and a WARN otherwise (executors may have it). A Hadoop URI must name a directory with a
 * {@code config.json} that parses, when the driver can reach that filesystem (a WARN when it cannot).
 * Models that passed are remembered. Driver only.
 */
public final class ModelCheck {
  private ModelCheck() {}

  private static final Logger LOG = LoggerFactory.getLogger(ModelCheck.class);
  private static final Set<String> PASSED = ConcurrentHashMap.newKeySet();

  /** Checks {@code model} against the active session (if any); throws IllegalArgumentException naming the problem. */
  public static void onDriver(String model) {
    if (model.isEmpty() || PASSED.contains(model)) return;
    SparkSession spark = SparkSession.getActiveSession().getOrElse(() -> null);
    boolean sharedDisk = spark == null || spark.sparkContext().isLocal();
    Configuration conf = spark == null ? new Configuration() : spark.sparkContext().hadoopConfiguration();
    check(model, sharedDisk, conf);
    PASSED.add(model);
  }

  static void check(String model, boolean sharedDisk, Configuration conf) {
    URI uri = ModelFiles.remoteUri(model);
    if (uri == null) {
      Path dir = ModelFiles.localPath(model);
      if (!Files.exists(dir)) {
        if (sharedDisk) throw bad(model, "no such directory: " + dir.toAbsolutePath());
        LOG.warn("gptoss: model {} is not on the driver; every executor must have it at that path", model);
        return;
      }
      try (Checkpoint c = Checkpoint.open(dir)) {
        // opening reads config.json and every safetensors header
      } catch (RuntimeException e) {
        throw bad(model, e.getMessage() != null ? e.getMessage() : e.toString());
      }
      return;
    }
    try {
      FileSystem fs = FileSystem.get(uri, conf);
      org.apache.hadoop.fs.Path config = new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(uri), "config.json");
      String text;
      try (InputStream in = fs.open(config)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      ModelConfig.fromJson(text, config.toString());
    } catch (FileNotFoundException e) {
      throw bad(model, "no config.json in that directory (or no such directory)");
    } catch (CheckpointException e) {
      throw bad(model, e.getMessage());
    } catch (IOException | RuntimeException e) {
      LOG.warn("gptoss: the driver cannot read model {} ({}); the executors will try", model, e.toString());
    }
  }

  private static IllegalArgumentException bad(String model, String why) {
    return new IllegalArgumentException("gptoss(): model '" + model + "': " + why);
  }
}
