package ai.gptoss.spark.exec;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.GptossPlugin;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A standalone cluster on loopback whose one executor owns two GPUs as Spark schedules them (a discovery script that
 * names GPUs 0 and 1; this machine has no GPU), one GPU per task: with {@code tensor_parallel_size=2} every task,
 * whichever GPU Spark gave it, picks the one engine over both ({@code cuda:0,1}, from the executor's resources that
 * {@link GptossPlugin} read), and {@code tensor_parallel_size=4} fails the query naming the executor's two GPUs.
 */
class TensorParallelClusterTest {
  static SparkSession spark;

  @BeforeAll
  static void start(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path script = tmp.resolve("two-gpus.sh");
    Files.writeString(script, "#!/bin/sh\necho '{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}'\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    System.setProperty("spark.testing", "true");
    new File(System.getProperty("spark.test.home")).mkdirs();
    spark = SparkSession.builder()
        .master("local-cluster[1,2,1024]")
        .appName("TensorParallelClusterTest")
        .config("spark.sql.extensions", GptossConf.EXTENSIONS_CLASS)
        .config("spark.plugins", GptossPlugin.class.getName())
        .config("spark.worker.resource.gpu.amount", "2")
        .config("spark.worker.resource.gpu.discoveryScript", script.toString())
        .config("spark.executor.resource.gpu.amount", "2")
        .config("spark.executor.resource.gpu.discoveryScript", script.toString())
        .config("spark.task.resource.gpu.amount", "1")
        .config("spark.task.maxFailures", "1")
        .config("spark.ui.enabled", "false")
        .getOrCreate();
    LocalClusters.awaitExecutors(spark, 1);
  }

  @AfterAll
  static void stop() {
    if (spark != null) spark.stop();
    System.clearProperty("spark.testing");
  }

  /** Runs in the executor: the task's GPU and the device its tensor_parallel_size=2 engine would run on. */
  static String placement() throws InterruptedException {
    Thread.sleep(200); // the two task slots overlap, so both GPUs are handed out
    TaskContext ctx = TaskContext.get();
    GptossOptions tp2 = GptossOptions.resolve(Map.of("tensor_parallel_size", "2"), k -> null);
    return ctx.resources().get("gpu").get().addresses()[0] + "|" + ExecutorEngines.device(tp2, ctx).device();
  }

  @Test
  void everyTaskOfTheExecutorPicksTheOneEngineOverItsTwoGpus() {
    spark.udf().register("tp_placement", (UDF1<Long, String>) id -> placement(), DataTypes.StringType);
    List<Row> out = spark.range(8).repartition(8).selectExpr("tp_placement(id)").collectAsList();
    Set<String> taskGpus = new HashSet<>(), devices = new HashSet<>();
    for (Row r : out) {
      String[] p = r.getString(0).split("\\|");
      taskGpus.add(p[0]);
      devices.add(p[1]);
    }
    assertEquals(Set.of("0", "1"), taskGpus, "Spark gave the tasks both GPUs");
    assertEquals(Set.of("cuda:0,1"), devices, "every task's engine spans both");
  }

  @Test
  void moreRanksThanTheExecutorsGpusFailsTheQueryNamingThem() {
    var e = assertThrows(Exception.class, () -> spark.range(2).selectExpr("CAST(id AS STRING) AS q")
        .select(gptoss(col("q"), Map.of("tensor_parallel_size", "4", "max_new_tokens", "1"))).collectAsList());
    String m = String.valueOf(e.getMessage());
    assertTrue(m.contains("tensor_parallel_size=4") && m.contains("are 2: [0, 1]") && m.contains("read by GptossPlugin"), m);
  }
}
