package ai.gptoss.spark.exec;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.callUDF;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.spark_partition_id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.engine.EngineStats;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossPlugin;
import ai.gptoss.spark.TestData;
import ai.gptoss.spark.plan.EngineRequests;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A standalone cluster on loopback (Spark's {@code local-cluster}: a Master, two Workers and two
 * executor JVMs with two task slots each, started from this JVM). Each executor must start exactly one
 * engine, and every task it runs must feed that engine, so the engine's mean batch size exceeds what any
 * single task may keep in flight.
 */
class LocalClusterTest {
  static final int MAX_IN_FLIGHT = 2;
  static SparkSession spark;

  @BeforeAll
  static void start() throws InterruptedException {
    // Executors inherit this JVM's classpath when spark.testing is set; the Workers need a Spark home
    // directory (nothing is read from it), given by the surefire configuration.
    System.setProperty("spark.testing", "true");
    String home = System.getProperty("spark.test.home");
    assertTrue(home != null, "surefire sets spark.test.home");
    new File(home).mkdirs();
    spark = SparkSession.builder()
        .master("local-cluster[2,2,1536]")
        .appName("LocalClusterTest")
        .config("spark.sql.extensions", GptossConf.EXTENSIONS_CLASS)
        .config("spark.plugins", GptossPlugin.class.getName())
        .config("spark.ui.enabled", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate();
    LocalClusters.awaitExecutors(spark, 2);
  }

  @AfterAll
  static void stop() {
    if (spark != null) spark.stop();
    System.clearProperty("spark.testing");
  }

  /** Runs in the executor: which JVM, how many engines it started, and its engine's counters. */
  static String probe() {
    List<ExecutorEngine> live = ExecutorEngines.live();
    StringBuilder ids = new StringBuilder();
    double mean = 0;
    long done = 0;
    for (ExecutorEngine e : live) {
      if (ids.length() > 0) ids.append('+');
      ids.append(e.instanceId());
      EngineStats s = e.stats();
      mean = s.meanBatchSize();
      done = s.requestsDone();
    }
    return SparkEnv.get().executorId() + "|" + ManagementFactory.getRuntimeMXBean().getName() + "|"
        + ExecutorEngines.createdCount() + "|" + ids + "|" + done + "|" + mean;
  }

  @Test
  void eachExecutorStartsOneEngineThatAllItsTasksShare() {
    spark.udf().register("engine_probe", (UDF1<String, String>) answer -> probe(), DataTypes.StringType);
    List<TestData.Question> qs = TestData.questions(40);
    List<Row> rows = new ArrayList<>();
    for (TestData.Question q : qs) rows.add(RowFactory.create(q.id(), q.question()));
    StructType schema = new StructType().add("id", DataTypes.LongType).add("question", DataTypes.StringType);
    Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(8)
        .withColumn("answer", gptoss(col("question"), Map.of("max_in_flight", "" + MAX_IN_FLIGHT, "max_new_tokens", "48")))
        .withColumn("probe", callUDF("engine_probe", col("answer")))
        .withColumn("partition", spark_partition_id());
    List<Row> out = df.collectAsList();
    assertEquals(40, out.size());

    int correct = 0;
    Map<String, Set<String>> engineIdsByExecutor = new HashMap<>();
    Map<String, Set<Integer>> partitionsByExecutor = new HashMap<>();
    Map<String, String[]> latest = new HashMap<>();
    for (Row r : out) {
      if (qs.get((int) r.getLong(0)).answer().equals(r.getString(2))) correct++;
      String[] p = r.getString(3).split("\\|");
      String exec = p[0];
      assertEquals("1", p[2], "executor " + exec + " (" + p[1] + ") started exactly one engine: " + r.getString(3));
      engineIdsByExecutor.computeIfAbsent(exec, k -> new HashSet<>()).add(p[3]);
      partitionsByExecutor.computeIfAbsent(exec, k -> new HashSet<>()).add(r.getInt(4));
      String[] prev = latest.get(exec);
      if (prev == null || Long.parseLong(p[4]) > Long.parseLong(prev[4])) latest.put(exec, p);
    }
    assertTrue(correct >= 36, correct + "/40 answers correct");
    assertEquals(2, engineIdsByExecutor.size(), "both executors ran tasks: " + engineIdsByExecutor.keySet());
    for (String exec : engineIdsByExecutor.keySet()) {
      assertEquals(1, engineIdsByExecutor.get(exec).size(), "executor " + exec + " used one engine for all its tasks");
      assertTrue(partitionsByExecutor.get(exec).size() >= 2, "executor " + exec + " ran several tasks: "
          + partitionsByExecutor.get(exec));
      double meanBatch = Double.parseDouble(latest.get(exec)[5]);
      System.out.printf("executor %s (%s): engines created %s, engine %s, partitions %s, requests %s, mean batch %.2f%n",
          exec, latest.get(exec)[1], latest.get(exec)[2], latest.get(exec)[3], partitionsByExecutor.get(exec),
          latest.get(exec)[4], meanBatch);
      assertTrue(meanBatch > MAX_IN_FLIGHT, "executor " + exec + ": engine mean batch size " + meanBatch
          + " must exceed one task's max_in_flight " + MAX_IN_FLIGHT + " (tasks share the engine)");
    }
  }

  /** A few query shapes on the executors: the engines are asked for exactly the rows each shape needs. */
  @Test
  void queryShapesAskTheExecutorsEnginesOnlyForTheRowsTheyNeed() {
    EngineRequests requests = EngineRequests.install(spark);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 12; i++) rows.add(RowFactory.create((long) i, "What is " + (i % 6) + " + 1?"));
    StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType);
    spark.createDataFrame(rows, schema).repartition(4).createOrReplaceTempView("shapes");
    spark.conf().set("spark.gptoss.max_new_tokens", "24");
    try {
      var plain = requests.count(() -> spark.sql("SELECT id, gptoss(prompt) FROM shapes").collectAsList());
      assertEquals(12, plain.requests(), "plain query");
      Map<Long, String> answers = new HashMap<>();
      for (Row r : plain.result()) answers.put(r.getLong(0), r.getString(1));

      var distinct = requests.count(() -> spark.sql("SELECT p, gptoss(p) FROM (SELECT DISTINCT prompt AS p FROM shapes)")
          .collectAsList());
      assertEquals(6, distinct.requests(), "DISTINCT then gptoss()");
      assertEquals(6, distinct.result().size());
      for (Row r : distinct.result()) {
        int k = Integer.parseInt(r.getString(0).substring("What is ".length(), "What is ".length() + 1));
        assertEquals(answers.get((long) k), r.getString(1), r.toString());
      }
      var guarded = requests.count(() -> spark.sql("SELECT id, CASE WHEN id < 3 THEN gptoss(prompt) END AS a FROM shapes")
          .collectAsList());
      assertEquals(3, guarded.requests(), "CASE WHEN id < 3 THEN gptoss()");
      for (Row r : guarded.result()) assertEquals(r.getLong(0) < 3 ? answers.get(r.getLong(0)) : null, r.getString(1));
      var limited = requests.count(() -> spark.sql("SELECT id, gptoss(prompt) FROM shapes ORDER BY id LIMIT 3")
          .collectAsList());
      assertEquals(3, limited.requests(), "ORDER BY id LIMIT 3");
      for (int i = 0; i < 3; i++) assertEquals(RowFactory.create((long) i, answers.get((long) i)), limited.result().get(i));
      var sorted = requests.count(() -> spark.sql("SELECT id, gptoss(prompt) AS a FROM shapes ORDER BY a, id")
          .collectAsList());
      assertEquals(12, sorted.requests(), "ORDER BY the answer (Spark samples the sort's input in a job of its own)");
      for (int i = 1; i < 12; i++) {
        assertTrue(sorted.result().get(i - 1).getString(1).compareTo(sorted.result().get(i).getString(1)) <= 0);
      }
    } finally {
      spark.conf().unset("spark.gptoss.max_new_tokens");
    }
  }
}
