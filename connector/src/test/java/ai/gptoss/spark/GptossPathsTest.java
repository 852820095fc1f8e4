package ai.gptoss.spark;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.harmony.HarmonyRenderer;
import ai.gptoss.spark.plan.GptossEvalExec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/** The DataFrame, SQL, chat-messages and token-id paths on the embedded tiny-qa model, in local mode. */
class GptossPathsTest {
  static SparkSession spark;
  static List<TestData.Question> questions = TestData.questions(12);
  static Dataset<Row> qs;

  @BeforeAll
  static void start() {
    spark = TestData.localSession("GptossPathsTest");
    List<Row> rows = new ArrayList<>();
    for (TestData.Question q : questions) rows.add(RowFactory.create(q.id(), q.question(), q.answer()));
    StructType schema = new StructType().add("id", DataTypes.LongType).add("question", DataTypes.StringType)
        .add("answer", DataTypes.StringType);
    qs = spark.createDataFrame(rows, schema).repartition(3).sortWithinPartitions("id");
    qs.createOrReplaceTempView("qs");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Map<Long, String> answers(Dataset<Row> df) {
    Map<Long, String> out = new java.util.TreeMap<>();
    for (Row r : df.collectAsList()) out.put(r.getLong(0), r.isNullAt(1) ? null : r.getString(1));
    return out;
  }

  @Test
  void dataFrameAnswersTheQuestions() {
    Dataset<Row> df = qs.select(col("id"), gptoss(col("question"), Map.of("max_new_tokens", "48")).as("final"));
    Map<Long, String> got = answers(df);
    int correct = 0;
    for (TestData.Question q : questions) if (q.answer().equals(got.get(q.id()))) correct++;
    assertTrue(correct >= questions.size() - 1, "tiny-qa answered " + correct + "/" + questions.size() + ": " + got);

    SparkPlan plan = df.queryExecution().executedPlan();
    assertTrue(plan.find(p -> p instanceof GptossEvalExec).isDefined(), plan.toString());
  }

  @Test
  void sqlMatchesDataFrame() {
    Map<Long, String> sql = answers(spark.sql("SELECT id, gptoss(question, map('max_new_tokens', '48')) FROM qs"));
    Map<Long, String> df = answers(qs.select(col("id"), gptoss(col("question"), Map.of("max_new_tokens", "48"))));
    assertEquals(df, sql);
  }

  @Test
  void tokenIdsAndChatMessagesMatchThePromptPath() {
    TestData.Question q = questions.get(2);
    int[] ids = HarmonyRenderer.get().renderUserPrompt(q.question());
    List<Integer> boxed = new ArrayList<>();
    for (int id : ids) boxed.add(id);
    StructType msg = new StructType().add("role", DataTypes.StringType).add("content", DataTypes.StringType);
    StructType schema = new StructType().add("prompt", DataTypes.StringType)
        .add("ids", DataTypes.createArrayType(DataTypes.IntegerType))
        .add("messages", DataTypes.createArrayType(msg));
    Row row = RowFactory.create(q.question(), boxed, List.of(RowFactory.create("user", q.question())));
    Dataset<Row> df = spark.createDataFrame(List.of(row), schema);
    Map<String, String> struct = Map.of("output", "struct", "max_new_tokens", "48");
    Row r = df.select(gptoss(col("prompt"), struct).as("a"), gptoss(col("ids"), struct).as("b"),
        gptoss(col("messages"), struct).as("c")).collectAsList().get(0);
    Row a = r.getStruct(0), b = r.getStruct(1), c = r.getStruct(2);
    assertEquals(q.answer(), a.<String>getAs("final"));
    assertEquals(ids.length, (int) a.getAs("prompt_tokens"));
    for (Row other : List.of(b, c)) {
      assertEquals(a.<String>getAs("final"), other.<String>getAs("final"));
      assertEquals(a.<String>getAs("analysis"), other.<String>getAs("analysis"));
      assertEquals(a.<Integer>getAs("prompt_tokens"), other.<Integer>getAs("prompt_tokens"));
      assertEquals(a.getList(a.fieldIndex("output_ids")), other.getList(other.fieldIndex("output_ids")));
    }
    assertEquals("stop", a.<String>getAs("finish_reason"));
    assertEquals(null, a.<String>getAs("error"));
  }
}
