package ai.gptoss.spark;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.spark.plan.GptossEvalExec;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code response_format} in a query: the typed {@code value} field, cut-off rows, planning-time errors, SQL. */
class ResponseFormatTest {
  static SparkSession spark;
  static final String INTEGER = "{\"type\": \"integer\"}";
  static final String CITY = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"city\", \"schema\": {\"type\": \"object\","
      + " \"properties\": {\"city\": {\"type\": \"string\"}, \"population\": {\"type\": \"integer\"}, \"tags\": {\"type\":"
      + " \"array\", \"items\": {\"type\": \"string\"}}}, \"required\": [\"city\", \"tags\"], \"additionalProperties\": false}}}";

  @BeforeAll
  static void start() {
    spark = TestData.localSession("ResponseFormatTest");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static Dataset<Row> questions(String... q) {
    return spark.createDataFrame(java.util.Arrays.stream(q).map(s -> org.apache.spark.sql.RowFactory.create(s)).toList(),
        new StructType().add("q", DataTypes.StringType)).coalesce(1);
  }

  /** The docs' example reads {@code prompt} from {@code t}. */
  private static void promptsView(String... q) {
    questions(q).withColumnRenamed("q", "prompt").createOrReplaceTempView("t");
  }

  private static DataType valueType(Dataset<Row> df, String column) {
    return ((StructType) df.schema().apply(column).dataType()).apply("value").dataType();
  }

  @Test
  void theStructGainsValueOfTheSchemasTypeFilledFromTheAnswer() {
    Dataset<Row> df = questions("What is 10 + 3?", "Compute 4 - 1.").select(gptoss(col("q"),
        Map.of("output", "struct", "max_new_tokens", "64", "response_format", INTEGER)).as("r"));
    assertEquals(DataTypes.LongType, valueType(df, "r"));
    List<Row> rows = df.collectAsList();
    long[] expected = {13, 3};
    for (int i = 0; i < 2; i++) {
      Row r = rows.get(i).getStruct(0);
      assertNull(r.getAs("error"), "row " + i);
      assertEquals(expected[i], r.<Long>getAs("value"), "row " + i + ": " + r.getAs("final"));
    }
    StructType city = (StructType) valueType(questions("x").select(gptoss(col("q"),
        Map.of("output", "struct", "response_format", CITY)).as("r")), "r");
    assertEquals("STRUCT<city: STRING NOT NULL, population: BIGINT, tags: ARRAY<STRING> NOT NULL>", city.sql());
    StructType plain = (StructType) questions("x").select(gptoss(col("q"), Map.of("output", "struct")).as("r")).schema()
        .apply("r").dataType();
    assertTrue(!List.of(plain.fieldNames()).contains("value"), "no value field without response_format");
  }

  /**
   * The engine holds answers to the schema: every answer that completed validates with an independent validator
   * (networknt), and its typed value is that JSON.
   */
  @Test
  void everyCompletedAnswerValidatesAndIsItsTypedValue() throws Exception {
    String schema = "{\"type\": \"object\", \"properties\": {\"answer\": {\"type\": \"string\", \"maxLength\": 12},"
        + " \"sure\": {\"type\": \"boolean\"}, \"n\": {\"type\": [\"integer\", \"null\"], \"minimum\": 0, \"maximum\": 999},"
        + " \"tags\": {\"type\": \"array\", \"items\": {\"enum\": [\"math\", \"geo\"]}, \"maxItems\": 2}},"
        + " \"required\": [\"answer\", \"sure\", \"n\", \"tags\"], \"additionalProperties\": false}";
    List<String> qs = TestData.questions(8).stream().map(TestData.Question::question).toList();
    List<Row> rows = questions(qs.toArray(String[]::new)).select(gptoss(col("q"), Map.of("output", "struct",
        "max_new_tokens", "128", "response_format", schema)).as("r")).collectAsList();
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var validator = com.networknt.schema.JsonSchemaFactory.getInstance(com.networknt.schema.SpecVersion.VersionFlag.V202012)
        .getSchema(json.readTree(schema));
    int completed = 0;
    for (Row row : rows) {
      Row r = row.getStruct(0);
      if (!"stop".equals(r.getAs("finish_reason"))) {
        assertNull(r.getAs("value"), r.toString());
        continue;
      }
      completed++;
      var answer = json.readTree(r.<String>getAs("final"));
      assertEquals(java.util.Set.of(), validator.validate(answer), r.<String>getAs("final"));
      assertNull(r.getAs("error"), r.toString());
      Row v = r.getAs("value");
      assertEquals(answer.get("answer").textValue(), v.getAs("answer"));
      assertEquals(answer.get("sure").booleanValue(), v.<Boolean>getAs("sure"));
      assertEquals(answer.get("n").isNull() ? null : answer.get("n").longValue(), v.<Long>getAs("n"));
      assertEquals(answer.get("tags").size(), v.getList(v.fieldIndex("tags")).size());
    }
    assertTrue(completed >= qs.size() / 2, completed + " of " + qs.size() + " rows completed: " + rows);
  }

  @Test
  void aRowCutOffBeforeItsJsonClosedGetsNullAndAnErrorSayingSo() {
    Dataset<Row> df = questions("What is 10 + 3?").select(gptoss(col("q"),
        Map.of("output", "struct", "max_new_tokens", "4", "response_format", CITY)).as("r"));
    Row r = df.collectAsList().get(0).getStruct(0);
    assertEquals("length", r.getAs("finish_reason"));
    assertNull(r.getAs("value"));
    assertEquals("partition 0 row 0: response_format: the answer ended before its JSON value closed (finish_reason=length, "
        + "max_new_tokens=4; the model had not started its final message); raise max_new_tokens", r.getAs("error"));
    GptossEvalExec exec = (GptossEvalExec) df.queryExecution().executedPlan().find(p -> p instanceof GptossEvalExec).get();
    assertEquals(1, exec.metric("truncatedRows").value());
    assertEquals(0, exec.metric("badRows").value(), "a cut-off row is not a failed row");
  }

  @Test
  void outputStringKeepsTheAnswerText() {
    List<Row> rows = questions("What is 10 + 3?").select(gptoss(col("q"),
        Map.of("max_new_tokens", "64", "response_format", INTEGER)).as("a")).collectAsList();
    assertEquals("13", rows.get(0).getString(0).trim());
  }

  @Test
  void anUnsupportedKeywordFailsWhenTheQueryIsPlannedNamingIt() {
    String bad = "{\"type\": \"object\", \"properties\": {\"d\": {\"type\": \"string\", \"format\": \"date\"}}}";
    var fn = assertThrows(IllegalArgumentException.class, () -> gptoss(col("q"), Map.of("response_format", bad)));
    assertTrue(fn.getMessage().startsWith("gptoss() option 'response_format': ") && fn.getMessage().contains("\"format\"")
        && fn.getMessage().contains("$.properties.d"), fn.getMessage());
    questions("x").createOrReplaceTempView("rf_questions");
    var sql = assertThrows(Exception.class, () -> spark.sql(
        "SELECT gptoss(q, map('response_format', '" + bad + "')) FROM rf_questions"));
    assertTrue(String.valueOf(sql.getMessage()).contains("\"format\""), sql.getMessage());
    spark.conf().set("spark.gptoss.response_format", "{\"oneOf\": []}");
    try {
      var session = assertThrows(IllegalArgumentException.class, () -> gptoss(col("q")));
      assertTrue(session.getMessage().startsWith("session conf 'spark.gptoss.response_format': ")
          && session.getMessage().contains("\"oneOf\""), session.getMessage());
    } finally {
      spark.conf().unset("spark.gptoss.response_format");
    }
  }

  /** docs/spark.md's example query, as it is there, gives the column type written under it. */
  @Test
  void theDocsExampleGivesTheTypeItShows() throws java.io.IOException {
    String doc = java.nio.file.Files.readString(java.nio.file.Paths.get("..", "docs", "spark.md"));
    var query = java.util.regex.Pattern.compile("<!-- tested: typed-answers -->\n```sql\n(.*?)\n```", java.util.regex.Pattern.DOTALL)
        .matcher(doc);
    var type = java.util.regex.Pattern.compile("<!-- typed-answers type -->`city: (.*?)`").matcher(doc);
    assertTrue(query.find() && type.find(), "docs/spark.md lost its typed-answers example");
    promptsView("x");
    DataType city = spark.sql(query.group(1)).schema().apply("city").dataType();
    assertEquals(type.group(1), city.sql().toLowerCase(java.util.Locale.ROOT));
  }

  @Test
  void sqlTakesTheSchemaInTheOptionsMapAndTheSessionConf() {
    questions("What is 10 + 3?").createOrReplaceTempView("rf_sql");
    Dataset<Row> df = spark.sql("SELECT gptoss(q, map('output', 'struct', 'max_new_tokens', '64', 'response_format', '"
        + INTEGER + "')).value AS v FROM rf_sql");
    assertEquals(DataTypes.LongType, df.schema().apply("v").dataType());
    assertEquals(13L, df.first().getLong(0));
    spark.sql("SET spark.gptoss.response_format=" + INTEGER);
    try {
      Dataset<Row> conf = spark.sql("SELECT gptoss(q, map('output', 'struct', 'max_new_tokens', '64')).value AS v FROM rf_sql");
      assertEquals(DataTypes.LongType, conf.schema().apply("v").dataType());
      assertEquals(13L, conf.first().getLong(0));
    } finally {
      spark.conf().unset("spark.gptoss.response_format");
    }
  }
}
