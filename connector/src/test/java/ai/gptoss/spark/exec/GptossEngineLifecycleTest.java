package ai.gptoss.spark.exec;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.Backends;
import ai.gptoss.backend.ForwardingBackend;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.cuda.CudaException;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.spark.TestData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Through gptoss() in Spark: one engine per device (a query with other settings replaces it; two calls of one stage
 * that need different engines fail at once, saying how to fix the query) and a FAILED engine (a backend that fails
 * as CUDA does after an illegal address) fails the task with the CUDA cause even with error_mode=null.
 */
class GptossEngineLifecycleTest {
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestData.localSession("GptossEngineLifecycleTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> questions(int n) {
    List<Row> rows = new ArrayList<>();
    for (TestData.Question q : TestData.questions(n)) rows.add(RowFactory.create(q.id(), q.question(), q.answer()));
    return spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType)
        .add("answer", DataTypes.StringType)).repartition(2);
  }

  private static String messages(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (; t != null; t = t.getCause()) b.append(t.getMessage()).append(" | ");
    return b.toString();
  }

  @Test
  void aQueryWithOtherSettingsReplacesTheDevicesEngine() {
    Dataset<Row> df = questions(2);
    df.select(gptoss(col("prompt"), Map.of("max_new_tokens", "8"))).collectAsList();
    int created = ExecutorEngines.createdCount();
    df.select(gptoss(col("prompt"), Map.of("max_new_tokens", "8", "kv_cache_dtype", "bf16"))).collectAsList();
    assertEquals(created + 1, ExecutorEngines.createdCount());
    List<ExecutorEngine> live = ExecutorEngines.live();
    assertEquals(1, live.size(), "one engine per device: " + live);
    assertEquals(KvCacheDtype.BF16, live.get(0).settings().kvCacheDtype());
    // The same settings share it.
    df.select(gptoss(col("prompt"), Map.of("max_new_tokens", "8", "kv_cache_dtype", "bf16"))).collectAsList();
    assertEquals(created + 1, ExecutorEngines.createdCount());
  }

  @Test
  void twoCallsOfOneStageThatNeedDifferentEnginesFailAtOnce() {
    Dataset<Row> df = questions(2).select(
        gptoss(col("prompt"), Map.of("max_new_tokens", "4")).as("a"),
        gptoss(col("prompt"), Map.of("max_new_tokens", "4", "engine.max_seqs", "3")).as("b"));
    SparkException e = assertThrows(SparkException.class, df::collectAsList);
    String all = messages(e);
    assertTrue(all.contains("same stage") && all.contains("engine.max_seqs 3") && all.contains("separate stages"), all);
  }

  /** Fails every step with a sticky CUDA error (illegal address) while {@link #STICKY} is set. */
  static final AtomicBoolean STICKY = new AtomicBoolean();

  static final class StickyBackend extends ForwardingBackend {
    StickyBackend(Backend inner) {
      super(inner);
    }

    @Override
    public StepResult step(StepBatch batch) {
      if (STICKY.get()) throw new CudaException("cuStreamSynchronize", 700, "an illegal memory access was encountered");
      return delegate.step(batch);
    }
  }

  @Test
  void aFailedEngineFailsTheTaskWithTheCudaCauseEvenWithErrorModeNull() {
    AtomicReference<RuntimeException> device = new AtomicReference<>();
    EngineRegistry stub = new EngineRegistry(
        (key, how) -> ExecutorEngine.start(key, new StickyBackend(Backends.open(EmbeddedModel.path(), "cpu", Precision.EXACT, KvCacheDtype.AUTO))),
        d -> {
          if (device.get() != null) throw device.get();
        });
    EngineRegistry real = ExecutorEngines.swapRegistry(stub);
    try {
      Dataset<Row> df = questions(4);
      Map<String, String> opts = Map.of("output", "struct", "max_new_tokens", "32"); // error_mode=null (default)
      assertEquals(4, df.select(gptoss(col("prompt"), opts)).collectAsList().size());
      // The illegal address breaks the device for this process, as it does on a GPU: the probe fails from now on.
      STICKY.set(true);
      device.set(new IllegalStateException("cudaSetDevice(0) failed: an illegal memory access was encountered"));
      SparkException failed = assertThrows(SparkException.class, () -> df.select(gptoss(col("prompt"), opts)).collectAsList());
      String all = messages(failed);
      assertTrue(all.contains("an illegal memory access was encountered (700)") && all.contains("Spark retries"), all);
      STICKY.set(false);
      // The device still fails: the next task fails naming the device and the original cause.
      SparkException unrecovered = assertThrows(SparkException.class,
          () -> df.select(gptoss(col("prompt"), opts)).collectAsList());
      String why = messages(unrecovered);
      assertTrue(why.contains("cpu cannot start an engine") && why.contains("(700)") && why.contains("has not recovered"), why);
      // Recovered: a fresh engine answers.
      device.set(null);
      List<Row> out = df.select(col("answer"), gptoss(col("prompt"), Map.of("max_new_tokens", "48"))).collectAsList();
      long right = out.stream().filter(r -> r.getString(0).equals(r.getString(1))).count();
      assertTrue(right >= 3, right + " of 4 right: " + out);
    } finally {
      STICKY.set(false);
      ExecutorEngines.swapRegistry(real);
    }
  }
}
