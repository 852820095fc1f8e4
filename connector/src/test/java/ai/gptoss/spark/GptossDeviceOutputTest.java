package ai.gptoss.spark;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.CudaAvailability;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The struct output names the engine's device; {@code ignore_eos} generates exactly {@code max_new_tokens}. */
class GptossDeviceOutputTest {
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestData.localSession("GptossDeviceOutputTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> questions(int n) {
    List<Row> rows = new ArrayList<>();
    for (TestData.Question q : TestData.questions(n)) rows.add(RowFactory.create(q.id(), q.question()));
    return spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType))
        .repartition(2);
  }

  @Test
  void theStructNamesTheDeviceTheEngineRanOn() {
    List<Row> out = questions(2).select(gptoss(col("prompt"), Map.of("output", "struct", "max_new_tokens", "32")).as("r"))
        .collectAsList();
    // CI has no GPU, so device=auto is the CPU there; on a machine with GPUs it is one of them.
    String expected = CudaAvailability.probe().count() > 0 ? "cuda:" : "cpu";
    for (Row r : out) {
      String device = r.getStruct(0).getAs("device");
      assertTrue(device != null && device.startsWith(expected), device);
    }
    // A row that never reached the engine still says which engine turned it away.
    Row bad = spark.sql("SELECT gptoss('', map('output', 'struct')) AS r").collectAsList().get(0).getStruct(0);
    assertTrue(bad.<String>getAs("error").contains("empty"), bad.toString());
    assertTrue(bad.<String>getAs("device").startsWith(expected), bad.toString());
  }

  @Test
  void ignoreEosGeneratesExactlyMaxNewTokens() {
    Dataset<Row> df = questions(3);
    Map<String, String> opts = Map.of("output", "struct", "max_new_tokens", "32");
    List<Row> stopped = df.select(gptoss(col("prompt"), opts).as("r")).collectAsList();
    int stops = 0;
    for (Row r : stopped) {
      if ("stop".equals(r.getStruct(0).getAs("finish_reason"))) stops++;
    }
    assertTrue(stops > 0, "without ignore_eos tiny-qa answers and stops: " + stopped);
    Map<String, String> ignore = new java.util.HashMap<>(opts);
    ignore.put("ignore_eos", "true");
    for (Row row : df.select(gptoss(col("prompt"), ignore).as("r")).collectAsList()) {
      Row r = row.getStruct(0);
      assertEquals("length", r.getAs("finish_reason"), r.toString());
      assertEquals(32, r.<Integer>getAs("completion_tokens"), r.toString());
      assertEquals(32, r.getList(r.fieldIndex("output_ids")).size(), r.toString());
    }
    spark.conf().set("spark.gptoss.ignore_eos", "TRUE");
    try {
      Row r = df.limit(1).select(gptoss(col("prompt"), opts).as("r")).collectAsList().get(0).getStruct(0);
      assertEquals(32, r.<Integer>getAs("completion_tokens"), r.toString());
    } finally {
      spark.conf().unset("spark.gptoss.ignore_eos");
    }
  }
}
