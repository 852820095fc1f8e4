package ai.gptoss.spark.exec;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.spark_partition_id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.engine.EngineConfig;
import ai.gptoss.harmony.ChatMessage;
import ai.gptoss.harmony.HarmonyRenderer;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.plan.GptossEvalExec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 in Spark: rows that share a long developer instruction, over 4 partitions (4 tasks of 2 rows) that run at
 * the same time on one executor ({@code local[4]}, the default {@code max_in_flight}), compute the shared prefix once;
 * the operator's SQL metrics say so exactly.
 *
 * <p>The tasks' rows reach the executor's one engine together or in any order. The first row admitted computes the
 * prefix (in chunks: {@code engine.max_batched_tokens=96}); every other row whose next prompt page that row is computing
 * waits for it instead of computing it too (in-flight prefix sharing, docs/prefix-caching.md), and is served the whole
 * shared prefix from the cache. That setting, which no other test uses, also gives the query an engine of its own,
 * with an empty cache.
 */
class PrefixCachingSparkTest {
  static final String[] LEADS = {"Apple", "Banana", "Cherry", "Dragon", "Eagle", "Forest", "Guitar", "Harbor"};

  /** A developer instruction; with the system message before it, the rows share their first 405 tokens. */
  static String instruction() {
    StringBuilder b = new StringBuilder("You answer arithmetic questions for a school worksheet.");
    for (int i = 1; i <= 16; i++) {
      b.append(" Rule ").append(i).append(": when a question mentions the number ").append(i * 7)
          .append(", check the sum twice before you answer.");
    }
    return b.toString();
  }

  @Test
  void rowsOverFourConcurrentTasksComputeTheSharedInstructionOnce() {
    SparkSession spark = SparkSession.builder().master("local[4]").appName("PrefixCachingSparkTest")
        .config("spark.sql.extensions", GptossConf.EXTENSIONS_CLASS).config("spark.ui.enabled", "false")
        .config("spark.sql.adaptive.enabled", "false").getOrCreate();
    try {
      assertEquals("local[4]", spark.sparkContext().master(), "another test left its session running");
      List<Row> rows = new ArrayList<>();
      for (int i = 0; i < LEADS.length; i++) rows.add(RowFactory.create((long) i, LEADS[i] + ": what is " + (i + 2) + " + 3?"));
      StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType);
      Dataset<Row> df = spark.createDataFrame(rows, schema).repartitionByRange(4, col("id"));
      Map<String, String> opts = Map.of("instructions", instruction(), "max_new_tokens", "2",
          "engine.max_batched_tokens", "96", "output", "struct");
      Dataset<Row> answered = df.select(col("id"), gptoss(col("prompt"), opts).as("r"), spark_partition_id().as("task"));
      List<Row> out = answered.collectAsList();
      assertEquals(LEADS.length, out.size());
      assertEquals(4, out.stream().map(r -> r.getInt(2)).distinct().count(), "rows in each of the 4 partitions (tasks)");

      // The prompts exactly as the executor renders them; they share their first P tokens, and no two share more.
      GptossOptions o = GptossOptions.resolve(opts, k -> null);
      List<int[]> prompts = new ArrayList<>();
      for (Row r : rows) prompts.add(HarmonyRenderer.get().renderChat(List.of(ChatMessage.user(r.getString(1))),
          ExecutorEngine.chatOptions(o)));
      int shared = Integer.MAX_VALUE, most = 0;
      long promptTokens = 0;
      for (int i = 0; i < prompts.size(); i++) {
        promptTokens += prompts.get(i).length;
        for (int j = 0; j < i; j++) {
          int l = lcp(prompts.get(i), prompts.get(j));
          shared = Math.min(shared, l);
          most = Math.max(most, l);
        }
      }
      assertEquals(shared, most, "the rows were written to diverge at their first own token");
      int page = EngineConfig.DEFAULT_PAGE_SIZE;
      int window;
      try (Checkpoint ckpt = Checkpoint.open(EmbeddedModel.path())) {
        window = ckpt.config().slidingWindow();
      }
      assertTrue(shared > 2 * window, "the shared prefix (" + shared + " tokens) reaches past the sliding window");
      // A later row is served the shared prefix's full pages: L = floor(P / page) * page (its own tokens start inside
      // the next page). The sliding-window rule asks for the sliding pages of [L - window + 1, L) too: the first row
      // registered them as it computed them and nothing was evicted (the pools are far larger than 8 short rows),
      // so they do not shorten the hit. Every row's prompt is longer than L, so L stops before its last token.
      int hit = shared / page * page;
      for (int[] p : prompts) assertTrue(p.length - 1 >= hit);

      GptossEvalExec exec = (GptossEvalExec) answered.queryExecution().executedPlan()
          .find(p -> p instanceof GptossEvalExec).get();
      long cached = exec.metric("cachedTokens").value(), prompt = exec.metric("promptTokens").value();
      assertEquals(promptTokens, prompt, "prompt tokens (" + prompts.size() + " rows)");
      assertEquals((long) (LEADS.length - 1) * hit, cached, "cached prompt tokens: every row but the first is served "
          + hit + " tokens (shared prefix " + shared + ", pages of " + page + ")");
      // Computed prompt tokens: the shared prefix's pages once, plus each row's own tokens (from the page boundary on).
      long ownTokens = 0;
      for (int[] p : prompts) ownTokens += p.length - hit;
      assertEquals(hit + ownTokens, prompt - cached, "prompt tokens computed");
      int cold = 0;
      for (Row r : out) {
        int c = r.getStruct(1).<Integer>getAs("cached_tokens");
        assertTrue(c == 0 || c == hit, "row " + r.getLong(0) + ": cached_tokens " + c);
        if (c == 0) cold++;
      }
      assertEquals(1, cold, "one row in the whole job computes the shared prefix");
    } finally {
      spark.stop();
    }
  }

  private static int lcp(int[] a, int[] b) {
    int n = 0;
    while (n < a.length && n < b.length && a[n] == b[n]) n++;
    return n;
  }
}
