package ai.gptoss.spark;

import static ai.gptoss.spark.GptossFunctions.gptoss;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  @Test
  void aRowCutOffBeforeItsJsonClosedGetsNullAndAnErrorSayingSo() {
    List<Row> rows = questions("What is 10 + 3?").select(gptoss(col("q"),
        Map.of("output", "struct", "max_new_tokens", "4", "response_format", CITY)).as("r")).collectAsList();
    Row r = rows.get(0).getStruct(0);
    assertEquals("length", r.getAs("finish_reason"));
    assertNull(r.getAs("value"));
    assertEquals("partition 0 row 0: response_format: the answer ended before its JSON value closed (finish_reason=length, "
        + "max_new_tokens=4; the model had not started its final message); raise max_new_tokens", r.getAs("error"));
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
