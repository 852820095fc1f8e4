package ai.gptoss.spark.exec;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.engine.EngineStats;
import ai.gptoss.spark.TestData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A cancelled job's tasks cancel their requests: the engine ends with nothing running and every KV page free. */
class GptossCancelTest {
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestData.localSession("GptossCancelTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void cancellingTheJobCancelsItsRequestsAndFreesTheirPages() throws Exception {
    String model = TestData.resource("tiny-a").toString();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 8; i++) rows.add(RowFactory.create(List.of(5 + i, 17, 300 + i)));
    StructType schema = new StructType().add("ids", DataTypes.createArrayType(DataTypes.IntegerType));
    // tiny-a never stops on its own within 100k tokens: only cancellation ends these requests early.
    Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2)
        .select(gptoss(col("ids"), Map.of("model", model, "max_new_tokens", "100000", "max_in_flight", "3")));
    CompletableFuture<Throwable> job = CompletableFuture.supplyAsync(() -> {
      spark.sparkContext().setJobGroup("cancel-me", "cancellation test", true);
      try {
        df.collectAsList();
        return null;
      } catch (Throwable t) {
        return t;
      }
    });
    ExecutorEngine engine = awaitEngine(model);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (engine.stats().running() < 2 && System.nanoTime() < deadline) Thread.sleep(20);
    EngineStats busy = engine.stats();
    assertTrue(busy.running() >= 2, "requests running before cancellation: " + busy);
    assertTrue(busy.fullPagesUsed() > 0, "pages in use before cancellation: " + busy);

    spark.sparkContext().cancelJobGroup("cancel-me");
    Throwable failure = job.get(60, TimeUnit.SECONDS);
    assertNotNull(failure, "the job must end cancelled, not complete");
    assertTrue(String.valueOf(failure.getMessage()).contains("cancel"), String.valueOf(failure));

    EngineStats after = engine.stats();
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((after.running() > 0 || after.waiting() > 0 || !after.poolsFree()) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      after = engine.stats();
    }
    assertEquals(0, after.running(), after.toString());
    assertEquals(0, after.waiting(), after.toString());
    assertTrue(after.poolsFree(), "every KV page is free again: " + after);
    assertTrue(after.requestsCancelled() >= busy.running(), after.toString());
  }

  private static ExecutorEngine awaitEngine(String model) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      for (ExecutorEngine e : ExecutorEngines.live()) {
        if (e.settings().model().equals(model)) return e;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no engine for " + model + " started within 60 s");
  }
}
