package ai.gptoss.spark.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.spark.TestData;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model locations: local directories as they are, Hadoop filesystem URIs copied once to the local cache. */
public class ModelFilesTest {
  /** A Hadoop filesystem with its own scheme ("copytest://") over local files, standing in for hdfs:// or s3a://. */
  public static final class CopyTestFileSystem extends RawLocalFileSystem {
    @Override
    public URI getUri() {
      return URI.create("copytest:///");
    }
  }

  @TempDir Path cache;

  private static Configuration conf() {
    Configuration c = new Configuration(false);
    c.set("fs.copytest.impl", CopyTestFileSystem.class.getName());
    c.setBoolean("fs.copytest.impl.disable.cache", true);
    c.set("fs.file.impl", org.apache.hadoop.fs.LocalFileSystem.class.getName());
    return c;
  }

  @Test
  void localDirectoriesAreUsedInPlace() {
    Path tinyA = TestData.resource("tiny-a");
    assertEquals(tinyA, ModelFiles.localDir(tinyA.toString(), conf(), cache));
    assertEquals(tinyA, ModelFiles.localDir(tinyA.toUri().toString(), conf(), cache));
    var e = assertThrows(IllegalArgumentException.class, () -> ModelFiles.localDir(cache.toString(), conf(), cache));
    assertTrue(e.getMessage().contains("no config.json"), e.getMessage());
  }

  @Test
  void remoteModelsAreCopiedOnceToTheCache() throws Exception {
    Path tinyA = TestData.resource("tiny-a");
    String uri = "copytest://" + tinyA.toAbsolutePath();
    Path local = ModelFiles.localDir(uri, conf(), cache);
    assertTrue(local.startsWith(cache), local.toString());
    assertArrayEquals(Files.readAllBytes(tinyA.resolve("model.safetensors")), Files.readAllBytes(local.resolve("model.safetensors")));
    assertArrayEquals(Files.readAllBytes(tinyA.resolve("config.json")), Files.readAllBytes(local.resolve("config.json")));
    long modified = Files.getLastModifiedTime(local.resolve("model.safetensors")).toMillis();
    Thread.sleep(20);
    assertEquals(local, ModelFiles.localDir(uri, conf(), cache));
    assertEquals(modified, Files.getLastModifiedTime(local.resolve("model.safetensors")).toMillis(), "not copied again");
    try (var s = Files.list(local.getParent())) {
      assertEquals(1, s.count(), "no temporary copy left behind");
    }
  }
}
