package ai.gptoss.spark;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.spark.exec.GptossPartitionEvaluator;
import ai.gptoss.spark.plan.GptossEval;
import ai.gptoss.spark.plan.GptossEvalExec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad rows, error modes, row order across partitions, options precedence, seeds and SQL metrics, the CPU twin of
 * a multi-GPU engine.
 */
class GptossRowsTest {
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestData.localSession("GptossRowsTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> prompts(List<String> prompts, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) rows.add(RowFactory.create((long) i, prompts.get(i)));
    StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType);
    return spark.createDataFrame(rows, schema).repartitionByRange(partitions, col("id")).sortWithinPartitions("id");
  }

  @Test
  void badRowsGetNullAndAnErrorInsteadOfFailingTheJob() {
    String longPrompt = "What is 2 + 2? ".repeat(40);
    Dataset<Row> df = prompts(java.util.Arrays.asList("What is 3 + 4?", null, "", longPrompt), 2);
    Map<String, String> opts = Map.of("output", "struct", "max_new_tokens", "32", "max_prompt_tokens", "120");
    List<Row> out = df.select(col("id"), gptoss(col("prompt"), opts).as("r")).orderBy("id").collectAsList();
    Row ok = out.get(0).getStruct(1);
    assertEquals("7", ok.<String>getAs("final"));
    assertNull(ok.getAs("error"));
    String[] expected = {null, "the input is null", "the prompt is empty", "more than max_prompt_tokens=120"};
    for (int i = 1; i < 4; i++) {
      Row r = out.get(i).getStruct(1);
      assertNull(r.getAs("final"), "row " + i);
      assertEquals("error", r.<String>getAs("finish_reason"), "row " + i);
      String error = r.getAs("error");
      assertTrue(error != null && error.contains(expected[i]), "row " + i + ": " + error);
      assertTrue(error.contains("row"), "the error names the row: " + error);
    }
    // The string form gives null for the bad rows.
    List<Row> plain = df.select(col("id"), gptoss(col("prompt"), Map.of("max_new_tokens", "32", "max_prompt_tokens",
        "120")).as("a")).orderBy("id").collectAsList();
    assertEquals("7", plain.get(0).getString(1));
    for (int i = 1; i < 4; i++) assertTrue(plain.get(i).isNullAt(1), "row " + i);
  }

  @Test
  void errorModeFailFailsTheJobWithTheRowsError() {
    Dataset<Row> df = prompts(java.util.Arrays.asList("What is 3 + 4?", ""), 1);
    SparkException e = assertThrows(SparkException.class, () -> df.select(gptoss(col("prompt"),
        Map.of("error_mode", "fail", "max_new_tokens", "16"))).collectAsList());
    String all = String.valueOf(e.getMessage()) + String.valueOf(e.getCause());
    assertTrue(all.contains("the prompt is empty") && all.contains("error_mode=fail"), all);
  }

  @Test
  void rowsKeepTheirOrderAndTheirOwnAnswersAcrossPartitions() {
    List<TestData.Question> qs = TestData.questions(24);
    List<String> prompts = new ArrayList<>();
    for (TestData.Question q : qs) prompts.add(q.question());
    Dataset<Row> df = prompts(prompts, 4);
    // max_in_flight 2 so each task keeps refilling while older rows are still running.
    Dataset<Row> answered = df.withColumn("a", gptoss(col("prompt"), Map.of("max_in_flight", "2", "max_new_tokens", "48")));
    List<Row> in = df.collectAsList();
    List<Row> out = answered.collectAsList();
    assertEquals(in.size(), out.size());
    int correct = 0;
    for (int i = 0; i < in.size(); i++) {
      assertEquals(in.get(i).getLong(0), out.get(i).getLong(0), "row order at " + i);
      assertEquals(in.get(i).getString(1), out.get(i).getString(1));
      if (qs.get((int) out.get(i).getLong(0)).answer().equals(out.get(i).getString(2))) correct++;
    }
    // A misplaced answer would answer another question: nearly all must match their own row.
    assertTrue(correct >= 22, correct + "/24 answers match their own question");

    SparkPlan plan = answered.queryExecution().executedPlan();
    GptossEvalExec exec = (GptossEvalExec) plan.find(p -> p instanceof GptossEvalExec).get();
    assertEquals(24, exec.metric("numOutputRows").value());
    assertTrue(exec.metric("generatedTokens").value() >= 24 * 5, "generated " + exec.metric("generatedTokens").value());
    assertTrue(exec.metric("promptTokens").value() >= 24 * 50, "prompt tokens " + exec.metric("promptTokens").value());
    assertEquals(0, exec.metric("badRows").value());
    // Every row starts with the same harmony system message: once one task computed its first page(s), the
    // executor's engine serves them to every later row of every task (at most 4 tasks x 2 rows start cold).
    long cached = exec.metric("cachedTokens").value();
    assertTrue(cached >= 16 * 16 && cached < exec.metric("promptTokens").value(), "cached prompt tokens " + cached);
  }

  @Test
  void answersAreNotGeneratedForRowsALimitDrops() {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < 20; i++) prompts.add("What is " + i + " + 1?");
    Dataset<Row> df = prompts(prompts, 4).orderBy("id").withColumn("a", gptoss(col("prompt"), Map.of("max_new_tokens", "32")))
        .limit(3);
    var optimized = df.queryExecution().optimizedPlan();
    var eval = optimized.find(p -> p instanceof GptossEval);
    assertTrue(eval.isDefined(), optimized.toString());
    assertTrue(eval.get().find(p -> p instanceof org.apache.spark.sql.catalyst.plans.logical.GlobalLimit).isDefined(),
        "gptoss() must run after the limit:\n" + optimized);
    List<Row> out = df.collectAsList();
    assertEquals(3, out.size());
    assertEquals("1", out.get(0).getString(2));
  }

  @Test
  void functionOptionsOverrideSessionConfOverrideDefaults() {
    Dataset<Row> df = prompts(List.of("What is 9 + 8?"), 1);
    try {
      spark.conf().set("spark.gptoss.max_new_tokens", "3");
      spark.conf().set("spark.gptoss.output", "struct");
      Row session = df.select(gptoss(col("prompt"))).collectAsList().get(0).getStruct(0);
      assertEquals(3, (int) session.<Integer>getAs("completion_tokens"));
      assertEquals("length", session.<String>getAs("finish_reason"));
      Row fn = df.select(gptoss(col("prompt"), Map.of("max_new_tokens", "5"))).collectAsList().get(0).getStruct(0);
      assertEquals(5, (int) fn.<Integer>getAs("completion_tokens"));
      Row sql = spark.sql("SELECT gptoss('What is 9 + 8?', map('max_new_tokens', '4'))").collectAsList().get(0).getStruct(0);
      assertEquals(4, (int) sql.<Integer>getAs("completion_tokens"));
    } finally {
      spark.conf().unset("spark.gptoss.max_new_tokens");
      spark.conf().unset("spark.gptoss.output");
    }
    Row dflt = df.select(gptoss(col("prompt"), Map.of("output", "struct"))).collectAsList().get(0).getStruct(0);
    assertEquals("stop", dflt.<String>getAs("finish_reason"));
    assertEquals("17", dflt.<String>getAs("final"));
  }

  @Test
  void rowsCutOffByMaxNewTokensSayISoInTheErrorAMetricAndOneWarnPerTask() {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < 6; i++) prompts.add("What is " + i + " + 2?");
    Dataset<Row> df = prompts(prompts, 2).withColumn("r", gptoss(col("prompt"), Map.of("output", "struct",
        "max_new_tokens", "3")));
    List<Row> out;
    List<String> log;
    try (LogCapture capture = new LogCapture(GptossPartitionEvaluator.class)) {
      out = df.collectAsList();
      log = capture.lines();
    }
    assertEquals(6, out.size());
    for (Row row : out) {
      Row r = row.getStruct(2);
      assertEquals("length", r.<String>getAs("finish_reason"));
      assertNull(r.getAs("final"));
      String error = r.getAs("error");
      assertTrue(error != null && error.matches("partition \\d row \\d: cut off by max_new_tokens=3 before the model "
          + "finished.*"), error);
    }
    GptossEvalExec exec = (GptossEvalExec) df.queryExecution().executedPlan().find(p -> p instanceof GptossEvalExec).get();
    assertEquals(6, exec.metric("truncatedRows").value());
    assertEquals(0, exec.metric("badRows").value(), "a cut-off row is not a failed row");
    List<String> warns = log.stream().filter(l -> l.startsWith("WARN") && l.contains("cut off")).toList();
    assertEquals(2, warns.size(), "one WARN per task: " + log);
    assertTrue(warns.get(0).contains("3 of 3 rows") && warns.get(0).contains("max_new_tokens=3"), warns.get(0));
  }

  @Test
  void badOptionsFailAtAnalysisNamingTheOption() {
    Dataset<Row> df = prompts(List.of("What is 9 + 8?"), 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> df.select(gptoss(col("prompt"), Map.of("max_new_tokens", "many"))));
    assertTrue(e.getMessage().contains("max_new_tokens") && e.getMessage().contains("many"), e.getMessage());
    Exception unknown = assertThrows(Exception.class,
        () -> spark.sql("SELECT gptoss('hi', map('max_tokens', '3'))").collectAsList());
    assertTrue(String.valueOf(unknown.getMessage()).contains("max_tokens"), unknown.getMessage());
    // A typo in the session conf is no more silent than one in the function's options.
    try {
      spark.conf().set("spark.gptoss.max_tokens", "3");
      var session = assertThrows(IllegalArgumentException.class, () -> df.select(gptoss(col("prompt"))));
      assertTrue(session.getMessage().contains("'spark.gptoss.max_tokens': unknown gptoss option"), session.getMessage());
    } finally {
      spark.conf().unset("spark.gptoss.max_tokens");
    }
  }

  @Test
  void tensorAndExpertParallelEnginesOnTheCpuAnswerAsOneRank() {
    List<String> prompts = new ArrayList<>();
    for (TestData.Question q : TestData.questions(4)) prompts.add(q.question());
    Map<String, String> one = Map.of("device", "cpu", "max_new_tokens", "16", "output", "struct");
    List<Row> single = prompts(prompts, 2).select(col("id"), gptoss(col("prompt"), one).getField("output_ids"))
        .orderBy("id").collectAsList();
    // One engine of 4 simulated ranks, experts placed per rank (the engine-level tests cover every plan).
    Map<String, String> opts = new java.util.HashMap<>(one);
    opts.putAll(Map.of("tensor_parallel_size", "4", "expert_parallel", "true"));
    assertEquals(single, prompts(prompts, 2).select(col("id"), gptoss(col("prompt"), opts).getField("output_ids"))
        .orderBy("id").collectAsList());
  }

  @Test
  void sampledRowsAreReproducibleWhateverThePartitioning() {
    List<String> prompts = new ArrayList<>();
    for (TestData.Question q : TestData.questions(3)) prompts.add(q.question());
    // tiny-qa is very sure of itself (top-2 margins above 14): a high temperature makes sampling visible.
    List<Row> a = sampled(prompts, 1, "7", "4");
    assertEquals(a, sampled(prompts, 3, "7", "4"), "same seed, other partitioning");
    assertNotEquals(a, sampled(prompts, 1, "8", "4"), "another seed");
    assertNotEquals(a, sampled(prompts, 1, "7", "0"), "greedy");
  }

  private static List<Row> sampled(List<String> prompts, int partitions, String seed, String temperature) {
    Map<String, String> opts = Map.of("temperature", temperature, "seed", seed, "max_new_tokens", "4", "output", "struct");
    return prompts(prompts, partitions).select(col("id"), gptoss(col("prompt"), opts).getField("output_ids"))
        .orderBy("id").collectAsList();
  }
}
