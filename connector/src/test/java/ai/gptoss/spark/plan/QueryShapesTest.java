package ai.gptoss.spark.plan;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.spark.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
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
 * gptoss() in the query shapes Spark users write: each answers what the plain query answers, and the engine is
 * asked for no more rows than the shape needs (counted with {@link EngineRequests}). The table {@code t}: ids 0-11
 * over 6 distinct prompts (each twice) and id 12 with a null prompt (never sent to the engine), in 2 partitions.
 */
class QueryShapesTest {
  static final int ROWS = 12;
  static SparkSession spark;
  static EngineRequests requests;
  static Dataset<Row> t;
  /** The plain query's answer of each prompt. */
  static Map<String, String> answers = new HashMap<>();

  @BeforeAll
  static void start() {
    spark = TestData.localSession("QueryShapesTest");
    spark.conf().set("spark.gptoss.max_new_tokens", "24");
    requests = EngineRequests.install(spark);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) rows.add(RowFactory.create((long) i, prompt(i)));
    rows.add(RowFactory.create((long) ROWS, null));
    StructType schema = new StructType().add("id", DataTypes.LongType).add("prompt", DataTypes.StringType);
    t = spark.createDataFrame(rows, schema).repartition(2);
    t.createOrReplaceTempView("t");
    spark.sql("SELECT '1' AS ans UNION ALL SELECT 'x'").createOrReplaceTempView("u");
    var plain = requests.count(() -> spark.sql("SELECT id, prompt, gptoss(prompt) FROM t").collectAsList());
    assertEquals(ROWS, plain.requests(), "the plain query answers each row with a prompt once");
    for (Row r : plain.result()) {
      if (r.get(1) != null) answers.put(r.getString(1), r.getString(2));
    }
    assertEquals("1", answers.get(prompt(0)), "tiny-qa answers " + prompt(0));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static String prompt(long id) {
    return id >= ROWS ? null : "What is " + (id % 6) + " + 1?";
  }

  static String answer(long id) {
    return id >= ROWS ? null : answers.get(prompt(id));
  }

  /** Runs {@code query}, checks the engine requests it made, returns its rows sorted by their string form. */
  static List<String> run(long expectedRequests, Supplier<List<Row>> query, String shape) {
    var counted = requests.count(query);
    assertEquals(expectedRequests, counted.requests(), shape + ": engine requests");
    List<String> out = new ArrayList<>();
    for (Row r : counted.result()) out.add(r.toString());
    out.sort(Comparator.naturalOrder());
    return out;
  }

  static List<String> sql(long expectedRequests, String query) {
    return run(expectedRequests, () -> spark.sql(query).collectAsList(), query);
  }

  /** Runs {@code query}, checks the engine requests it made, returns its rows in their order. */
  static List<Row> ordered(long expectedRequests, String query) {
    var counted = requests.count(() -> spark.sql(query).collectAsList());
    assertEquals(expectedRequests, counted.requests(), query + ": engine requests");
    return counted.result();
  }

  static List<String> sorted(List<String> rows) {
    List<String> s = new ArrayList<>(rows);
    s.sort(Comparator.naturalOrder());
    return s;
  }

  static String row(Object... values) {
    return RowFactory.create(values).toString();
  }

  @Test
  void dedupeThenAnswerAnswersEachDistinctPromptOnce() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 6; i++) expected.add(row(prompt(i), answer(i)));
    expected.add(row(null, null));
    expected = sorted(expected);
    assertEquals(expected, sql(6, "SELECT p, gptoss(p) FROM (SELECT DISTINCT prompt AS p FROM t)"));
    assertEquals(expected, run(6, () -> t.select("prompt").distinct().withColumn("a", gptoss(col("prompt"))).collectAsList(),
        "distinct().withColumn"));
    List<String> counted = new ArrayList<>();
    for (int i = 0; i < 6; i++) counted.add(row(prompt(i), 2L, answer(i)));
    counted.add(row(null, 1L, null));
    assertEquals(sorted(counted), run(6, () -> t.groupBy("prompt").count().withColumn("a", gptoss(col("prompt")))
        .collectAsList(), "groupBy(prompt).count().withColumn"));
    // max(prompt) of the even ids is "What is 4 + 1?" (4, 10), of the odd ones "What is 5 + 1?" (5, 11).
    assertEquals(List.of(row(0L, answer(4)), row(1L, answer(5))),
        sql(2, "SELECT id % 2, gptoss(max(prompt)) FROM t GROUP BY id % 2"));
  }

  @Test
  void aggregatesGroupingAndSortingOverACallAnswerEachRowOnce() {
    List<String> lists = sql(ROWS, "SELECT id % 2, sort_array(collect_list(gptoss(prompt))) FROM t GROUP BY id % 2");
    assertEquals(2, lists.size());
    for (String l : lists) assertEquals(7, l.split(",").length, "6 answers per parity: " + l);
    long ones = answers.values().stream().filter("1"::equals).count() * 2;
    assertEquals(List.of(row(ones)), sql(ROWS, "SELECT count_if(gptoss(prompt) = '1') FROM t"));
    List<String> groups = new ArrayList<>();
    for (int i = 0; i < 6; i++) groups.add(row(answer(i), 2L));
    groups.add(row(null, 1L));
    assertEquals(sorted(groups), sql(ROWS, "SELECT gptoss(prompt), count(*) FROM t GROUP BY gptoss(prompt)"));
    // Conditions inside aggregate arguments, grouping and sort keys still decide which rows are answered.
    assertEquals(List.of(row(3L)), sql(3, "SELECT count(CASE WHEN id < 3 THEN gptoss(prompt) END) FROM t"));
    assertEquals(sorted(List.of(row(null, 11L), row(answer(0), 1L), row(answer(1), 1L))),
        sql(2, "SELECT CASE WHEN id < 2 THEN gptoss(prompt) END, count(*) FROM t GROUP BY CASE WHEN id < 2 THEN gptoss(prompt) END"));
    List<Row> guardedSort = ordered(2, "SELECT id FROM t ORDER BY CASE WHEN id < 2 THEN gptoss(prompt) END DESC, id");
    assertEquals(answer(0).compareTo(answer(1)) > 0 ? 0L : 1L, guardedSort.get(0).getLong(0));

    // A global sort on an answer: Spark samples the sort's input in a job of its own, yet each row is answered once.
    List<Row> bySort = ordered(ROWS, "SELECT id FROM t ORDER BY gptoss(prompt), id");
    List<Long> expectedOrder = new ArrayList<>();
    for (long i = 0; i <= ROWS; i++) expectedOrder.add(i);
    expectedOrder.sort(Comparator.comparing((Long i) -> answer(i), Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparing(i -> i));
    List<Long> got = new ArrayList<>();
    for (Row r : bySort) got.add(r.getLong(0));
    assertEquals(expectedOrder, got);
    List<Row> byAnswer = ordered(ROWS, "SELECT id, gptoss(prompt) AS a FROM t ORDER BY a, id");
    for (int i = 0; i <= ROWS; i++) assertEquals(expectedOrder.get(i), byAnswer.get(i).getLong(0));
    List<Row> filteredByAnswer = ordered(ROWS, "SELECT id, gptoss(prompt) AS a FROM t WHERE gptoss(prompt) <> 'none' ORDER BY a, id");
    for (int i = 0; i < ROWS; i++) assertEquals(expectedOrder.get(i + 1), filteredByAnswer.get(i).getLong(0));
    assertEquals(ROWS + 1, run(ROWS, () -> t.withColumn("a", gptoss(col("prompt"))).repartitionByRange(2, col("a"))
        .collectAsList(), "repartitionByRange(a)").size());
  }

  @Test
  void aWindowOrderedByACallAnswersEachRowOnce() {
    Comparator<String> nullsFirst = Comparator.nullsFirst(Comparator.naturalOrder());
    List<String> expected = new ArrayList<>();
    for (long i = 0; i <= ROWS; i++) {
      int rank = 1;
      for (long j = 0; j <= ROWS; j++) {
        if (j % 2 == i % 2 && nullsFirst.compare(answer(j), answer(i)) < 0) rank++;
      }
      expected.add(row(i, rank));
    }
    assertEquals(sorted(expected), sql(ROWS, "SELECT id, rank() OVER (PARTITION BY id % 2 ORDER BY gptoss(prompt)) FROM t"));
  }

  @Test
  void eachActionAnswersAgainUnlessTheAnswersAreCheckpointed() {
    Dataset<Row> answered = t.withColumn("a", gptoss(col("prompt")));
    List<String> first = run(ROWS, answered::collectAsList, "first action");
    assertEquals(first, run(ROWS, answered::collectAsList, "second action: Spark recomputes the DataFrame"));
    var checkpointed = requests.count(answered::localCheckpoint);
    assertEquals(ROWS, checkpointed.requests(), "localCheckpoint() answers once");
    assertEquals(first, run(0, () -> checkpointed.result().collectAsList(), "an action on the checkpoint"));
    assertEquals(1, run(0, () -> checkpointed.result().filter(col("id").equalTo(0)).collectAsList(), "a query on it").size());
  }

  @Test
  void aCallInAJoinConditionIsAnsweredOncePerRowOfItsSide() {
    List<String> expected = new ArrayList<>();
    for (long i = 0; i < ROWS; i++) {
      if ("1".equals(answer(i))) expected.add(row(i, "1"));
    }
    assertEquals(sorted(expected), sql(ROWS, "SELECT t.id, u.ans FROM t JOIN u ON gptoss(t.prompt) = u.ans"));
    assertEquals(sorted(expected), sql(ROWS,
        "SELECT t.id, u.ans FROM u JOIN t ON u.ans = gptoss(t.prompt) AND t.id IS NOT NULL"));
    Exception both = assertThrows(Exception.class,
        () -> spark.sql("SELECT t.id FROM t JOIN u ON gptoss(concat(t.prompt, u.ans)) = u.ans").collectAsList());
    assertTrue(String.valueOf(both.getMessage()).contains("reads both sides of the join")
        && both.getMessage().contains("WHERE"), both.getMessage());
  }

  @Test
  void conditionsAreHonouredAndOnlyTheRowsTheyKeepAreAnswered() {
    // error_mode=fail on the null row would fail the job: the guard keeps it from being answered.
    List<String> all = new ArrayList<>();
    for (long i = 0; i <= ROWS; i++) all.add(row(i, answer(i)));
    assertEquals(sorted(all), sql(ROWS,
        "SELECT id, CASE WHEN prompt IS NOT NULL THEN gptoss(prompt, map('error_mode', 'fail')) END FROM t"));

    List<String> firstThree = new ArrayList<>();
    for (long i = 0; i <= ROWS; i++) firstThree.add(row(i, i < 3 ? answer(i) : null));
    firstThree = sorted(firstThree);
    assertEquals(firstThree, sql(3, "SELECT id, CASE WHEN id < 3 THEN gptoss(prompt) END FROM t"));
    assertEquals(firstThree, sql(3, "SELECT id, IF(id >= 3, NULL, gptoss(prompt)) FROM t"));
    assertEquals(firstThree, run(3, () -> t.select(col("id"), when(col("id").lt(3), gptoss(col("prompt"))))
        .collectAsList(), "when(id < 3, gptoss)"));
    List<String> coalesced = new ArrayList<>();
    for (long i = 0; i <= ROWS; i++) coalesced.add(row(i, i < 3 ? answer(i) : "skip"));
    assertEquals(sorted(coalesced), sql(3, "SELECT id, coalesce(IF(id < 3, NULL, 'skip'), gptoss(prompt)) FROM t"));

    List<String> ones = new ArrayList<>();
    for (long i = 0; i < 3; i++) {
      if ("1".equals(answer(i))) ones.add(row(i));
    }
    assertEquals(ones, sql(3, "SELECT id FROM t WHERE id < 3 AND gptoss(prompt) = '1'"));
    assertEquals(ones, sql(3, "SELECT id FROM t WHERE gptoss(prompt) = '1' AND id < 3"));
    List<String> orOnes = new ArrayList<>(ones);
    for (long i = 3; i <= ROWS; i++) orOnes.add(row(i));
    assertEquals(sorted(orOnes), sql(3, "SELECT id FROM t WHERE id >= 3 OR id IS NULL OR gptoss(prompt) = '1'"));
  }

  @Test
  void limitsAreAppliedBeforeAnswering() {
    Dataset<Row> answered = t.withColumn("a", gptoss(col("prompt")));
    var shown = requests.count(() -> {
      PrintStream out = System.out;
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      try {
        answered.show(5);
      } finally {
        System.setOut(out);
      }
      return buf.toString(StandardCharsets.UTF_8);
    });
    assertTrue(shown.result().contains("only showing top 5 rows"), shown.result());
    assertEquals(6, shown.requests(), "show(5) reads 6 rows (the sixth says whether there are more)");
    assertEquals(5, run(5, () -> answered.takeAsList(5), "takeAsList(5)").size());
    List<String> filtered = run(2, () -> answered.filter(col("id").gt(3)).limit(2).collectAsList(), "filter().limit(2)");
    assertEquals(2, filtered.size());
    for (String r : filtered) {
      long id = Long.parseLong(r.substring(1, r.indexOf(',')));
      assertTrue(id > 3, r);
      assertEquals(row(id, prompt(id), answer(id)), r);
    }
    List<String> firstThree = new ArrayList<>();
    for (long i = 0; i < 3; i++) firstThree.add(row(i, answer(i)));
    assertEquals(firstThree, sql(3, "SELECT id, gptoss(prompt) AS a FROM t ORDER BY id LIMIT 3"));
    List<Row> byId = ordered(ROWS, "SELECT id, gptoss(prompt) AS a FROM t ORDER BY id");
    for (int i = 0; i <= ROWS; i++) assertEquals(RowFactory.create((long) i, answer(i)), byId.get(i), "row " + i);
    assertEquals(firstThree, run(3, () -> answered.orderBy("id").limit(3).select("id", "a").collectAsList(),
        "orderBy(id).limit(3)"));
  }

  @Test
  void aCallUsedTwiceOrOnceInASubqueryIsAnsweredOnce() {
    List<String> ones = new ArrayList<>();
    for (long i = 0; i < ROWS; i++) {
      if ("1".equals(answer(i))) ones.add(row(i, "1"));
    }
    assertEquals(ones, sql(ROWS, "SELECT id, gptoss(prompt) FROM t WHERE gptoss(prompt) = '1'"));
    assertEquals(ones, run(ROWS, () -> t.withColumn("a", gptoss(col("prompt"))).filter(col("a").equalTo("1"))
        .select("id", "a").collectAsList(), "withColumn(a).filter(a = 1)"));
    List<String> constant = new ArrayList<>();
    for (long i = 0; i <= ROWS; i++) constant.add(row(i, "4"));
    assertEquals(sorted(constant), sql(1, "SELECT id, (SELECT gptoss('What is 2 + 2?')) FROM t"));
    List<String> correlated = new ArrayList<>();
    for (long i = 0; i <= ROWS; i++) correlated.add(row(i, answer(i)));
    assertEquals(sorted(correlated), sql(ROWS, "SELECT id, (SELECT gptoss(t.prompt)) FROM t"));
  }

  @Test
  void aCallInALambdaFailsWithHowToRewrite() {
    Exception e = assertThrows(Exception.class,
        () -> spark.sql("SELECT transform(array(prompt), x -> gptoss(x)) FROM t").collectAsList());
    assertTrue(String.valueOf(e.getMessage()).contains("inside a lambda function") && e.getMessage().contains("explode"),
        e.getMessage());
  }

  @Test
  void nestedAndGuardedCallsKeepTheirOrder() {
    // The inner call is answered for every row; the outer one only where the inner one answered "1".
    List<String> expected = new ArrayList<>();
    for (long i = 0; i <= ROWS; i++) {
      expected.add(row(i, "1".equals(answer(i)) ? answers.getOrDefault("What is 1 + 1?", "?") : null));
    }
    assertEquals(sorted(expected), sql(ROWS + 2,
        "SELECT id, CASE WHEN gptoss(prompt) = '1' THEN gptoss('What is ' || gptoss(prompt) || ' + 1?') END FROM t"));
  }

  @Test
  void plansNameTheCallAndTheOperatorsColumns() {
    Dataset<Row> df = spark.sql("SELECT id, gptoss(prompt, map('max_new_tokens', '8')) FROM t");
    String analyzed = df.queryExecution().analyzed().toString();
    assertTrue(analyzed.contains("gptoss(prompt#") && analyzed.contains("{max_new_tokens=8})"), analyzed);
    assertFalse(analyzed.contains("false)"), analyzed);
    String formatted = df.queryExecution().explainString(org.apache.spark.sql.execution.FormattedMode$.MODULE$);
    int at = formatted.indexOf(") GptossEval\nInput [2]: [id#");
    assertTrue(at > 0, formatted);
    String section = formatted.substring(at, formatted.indexOf("\n\n", at));
    assertTrue(section.contains("\nOutput [3]: [id#") && section.contains("Arguments: gptoss(prompt#"), section);
    assertTrue(section.contains("max_new_tokens=8"), section);
  }

  @Test
  void shapesAlsoHoldWithAdaptiveExecution() {
    try {
      spark.conf().set("spark.sql.adaptive.enabled", "true");
      assertEquals(7, sql(6, "SELECT p, gptoss(p) FROM (SELECT DISTINCT prompt AS p FROM t)").size());
      assertEquals(ROWS + 1, sql(ROWS, "SELECT id, gptoss(prompt) AS a FROM t ORDER BY a").size());
      assertEquals(3, sql(3, "SELECT id, gptoss(prompt) AS a FROM t ORDER BY id LIMIT 3").size());
    } finally {
      spark.conf().set("spark.sql.adaptive.enabled", "false");
    }
  }
}
