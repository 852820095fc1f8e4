package ai.gptoss.spark.typed;

import static ai.gptoss.spark.typed.SchemaTypesTest.derive;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.junit.jupiter.api.Test;

/** Answer text -> Catalyst value of the schema's type, or null and a message saying why. */
class TypedAnswerTest {
  private static final SchemaType CITY = derive("{'type': 'object', 'required': ['city', 'tags'], 'properties': {"
      + "'city': {'type': 'string'}, 'population': {'type': 'integer'}, 'area': {'type': 'number'},"
      + " 'coastal': {'type': ['boolean', 'null']}, 'tags': {'type': 'array', 'items': {'type': 'string'}},"
      + " 'extra': {'type': 'object'}}}");

  /** The value as Spark shows it to users (Row, Seq, Map), through Spark's own converter. */
  private static Object external(TypedAnswer a, SchemaType t) {
    return CatalystTypeConverters.convertToScala(a.value(), t.dataType());
  }

  private static TypedAnswer stop(String text, SchemaType t) {
    return TypedAnswer.of(text, "stop", t, "max_new_tokens=64");
  }

  @Test
  void aCompletedAnswerBecomesTheTypedValue() {
    TypedAnswer a = stop(" {\"city\": \"Oslo\", \"population\": 709037, \"area\": 454.0, \"coastal\": true,"
        + " \"tags\": [\"capital\", \"fjord\"], \"extra\": {\"k\": [1, \"x\"]},"
        + " \"undeclared\": 5}\n", CITY);
    assertNull(a.error());
    Row r = (Row) external(a, CITY);
    assertEquals("Oslo", r.getString(0));
    assertEquals(709037L, r.getLong(1));
    assertEquals(454.0, r.getDouble(2));
    assertEquals(true, r.getBoolean(3));
    assertEquals(java.util.List.of("capital", "fjord"), r.getList(4));
    assertEquals("{\"k\":[1,\"x\"]}", r.getString(5), "an object without properties keeps the JSON text");
    assertEquals(6, r.size(), "the undeclared property has no field");
  }

  @Test
  void optionalPropertiesMayBeMissingOrNull() {
    TypedAnswer a = stop("{\"city\": \"Lima\", \"coastal\": null, \"tags\": []}", CITY);
    assertNull(a.error());
    Row r = (Row) external(a, CITY);
    assertEquals("Lima", r.getString(0));
    for (int i = 1; i < 6; i++) {
      if (i != 4) assertNull(r.get(i), "field " + i);
    }
  }

  @Test
  void scalarsAndWholeNumbers() {
    SchemaType integer = derive("{'type': 'integer'}");
    assertEquals(13L, stop("13", integer).value());
    assertEquals(13L, stop("13.0", integer).value(), "13.0 is an integer in JSON Schema");
    assertEquals("response_format: the answer does not match the schema at $: expected an integer within bigint's range, got 13.5",
        stop("13.5", integer).error());
    assertEquals("response_format: the answer does not match the schema at $: expected an integer within bigint's range, "
        + "got 99999999999999999999", stop("99999999999999999999", integer).error());
    assertEquals(2.0, stop("2", derive("{'type': 'number'}")).value());
    assertEquals(false, stop("false", derive("{'type': 'boolean'}")).value());
    assertEquals("\"a\"", stop("\"a\"", derive("{'anyOf': [{'type': 'string'}, {'type': 'integer'}]}")).value().toString());
    assertEquals("7", stop("7", derive("{'anyOf': [{'type': 'string'}, {'type': 'integer'}]}")).value().toString());
    TypedAnswer nul = stop("null", derive("{'type': ['string', 'null']}"));
    assertNull(nul.value());
    assertNull(nul.error());
  }

  @Test
  void mismatchesNameThePathAndGiveNoValue() {
    TypedAnswer missing = stop("{\"tags\": []}", CITY);
    assertNull(missing.value());
    assertEquals("response_format: the answer does not match the schema at $.city: the required property is missing",
        missing.error());
    assertEquals("response_format: the answer does not match the schema at $.city: null is not allowed",
        stop("{\"city\": null, \"tags\": []}", CITY).error());
    assertEquals("response_format: the answer does not match the schema at $.tags[1]: expected a string, got 2",
        stop("{\"city\": \"x\", \"tags\": [\"a\", 2]}", CITY).error());
    assertEquals("response_format: the answer does not match the schema at $: expected an object, got [1]",
        stop("[1]", CITY).error());
    assertEquals("response_format: the answer does not match the schema at $: expected null, got 1",
        stop("1", derive("{'type': 'null'}")).error());
  }

  @Test
  void textThatIsNotOneJsonValueHasNoValue() {
    SchemaType s = derive("{'type': 'string'}");
    TypedAnswer prose = stop("Oslo", s);
    assertNull(prose.value());
    assertTrue(prose.error().startsWith("response_format: the answer is not one JSON value: Unrecognized token 'Oslo'"),
        prose.error());
    assertEquals("response_format: the answer is not one JSON value: it is empty", stop("  ", s).error());
    TypedAnswer two = stop("\"a\" \"b\"", s);
    assertNull(two.value());
    assertTrue(two.error().startsWith("response_format: the answer is not one JSON value: Trailing token"), two.error());
    assertEquals("response_format: the answer has no final message to parse", stop(null, s).error());
  }

  @Test
  void aRowCutOffBeforeItsJsonClosedHasNoValueAndSaysSo() {
    TypedAnswer cut = TypedAnswer.of("{\"city\": \"Os", "length", CITY, "max_new_tokens=64");
    assertNull(cut.value());
    assertEquals("response_format: the answer ended before its JSON value closed (finish_reason=length, max_new_tokens=64); "
        + "raise max_new_tokens", cut.error());
    assertEquals("response_format: the answer ended before its JSON value closed (finish_reason=length, max_new_tokens=8; "
        + "the model had not started its final message); raise max_new_tokens", TypedAnswer.of(null, "length", CITY, "max_new_tokens=8").error());
    TypedAnswer closed = TypedAnswer.of("1", "length", derive("{'type': 'integer'}"), "max_new_tokens=3");
    assertNull(closed.value(), "a number cut off may be partial (1 of 13)");
    assertEquals("response_format: the answer was cut off after its JSON value (finish_reason=length, max_new_tokens=3); "
        + "it may be partial; raise max_new_tokens", closed.error());
  }

  @Test
  void failedRowsKeepTheirOwnError() {
    for (String reason : new String[] {"error", "cancelled"}) {
      TypedAnswer a = TypedAnswer.of(null, reason, CITY, "max_new_tokens=64");
      assertNull(a.value());
      assertNull(a.error());
    }
  }
}
