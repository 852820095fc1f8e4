package ai.gptoss.spark.typed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.structured.ResponseFormat;
import org.apache.spark.sql.types.DataType;
import org.junit.jupiter.api.Test;

/** Schema -> Spark type, keyword by keyword; types are compared as Spark writes them (DDL with NOT NULL). */
class SchemaTypesTest {
  /** The type of a schema written with single quotes, through {@link ResponseFormat#parse} as the option takes it. */
  static SchemaType derive(String schema) {
    return SchemaTypes.of(ResponseFormat.parse(schema.replace('\'', '"')));
  }

  private static String ddl(String schema) {
    DataType t = derive(schema).dataType();
    return t.sql();
  }

  private static void assertType(String expected, String schema) {
    assertEquals(expected, ddl(schema), schema);
  }

  @Test
  void scalars() {
    assertType("STRING", "{'type': 'string'}");
    assertType("BIGINT", "{'type': 'integer'}");
    assertType("DOUBLE", "{'type': 'number'}");
    assertType("BOOLEAN", "{'type': 'boolean'}");
    assertType("VOID", "{'type': 'null'}");
    assertEquals(SchemaType.Kind.STRING, derive("{'type': 'string', 'pattern': '^a[bc]$'}").kind());
    assertEquals(SchemaType.Kind.STRING, derive("{'type': 'string', 'minLength': 1, 'maxLength': 3}").kind());
    assertType("BIGINT", "{'type': 'integer', 'minimum': 0, 'maximum': 9, 'description': 'x', 'title': 't'}");
  }

  @Test
  void objectsAreStructsInPropertyOrderAndOnlyRequiredNonNullFieldsAreNotNull() {
    assertType("STRUCT<city: STRING NOT NULL, population: BIGINT, coastal: BOOLEAN NOT NULL>",
        "{'type': 'object', 'properties': {'city': {'type': 'string'}, 'population': {'type': 'integer'},"
            + " 'coastal': {'type': 'boolean'}}, 'required': ['city', 'coastal'], 'additionalProperties': false}");
    assertType("STRUCT<a: STRING>", "{'type': 'object', 'properties': {'a': {'type': ['string', 'null']}}, 'required': ['a']}");
    assertType("STRUCT<b: DOUBLE NOT NULL, a: DOUBLE NOT NULL>",
        "{'type': 'object', 'properties': {'b': {'type': 'number'}, 'a': {'type': 'number'}}, 'required': ['a', 'b']}");
    assertType("STRUCT<>", "{'type': 'object', 'properties': {}}");
    assertType("STRUCT<inner: STRUCT<x: BIGINT NOT NULL> NOT NULL>",
        "{'type': 'object', 'required': ['inner'], 'properties': {'inner': {'type': 'object', 'required': ['x'],"
            + " 'properties': {'x': {'type': 'integer'}}}}}");
  }

  @Test
  void openAiWrapperGivesTheTypeOfItsSchema() {
    assertType("STRUCT<city: STRING NOT NULL>", "{'type': 'json_schema', 'json_schema': {'name': 'c', 'strict': true, 'schema':"
        + " {'type': 'object', 'properties': {'city': {'type': 'string'}}, 'required': ['city'], 'additionalProperties': false}}}");
  }

  @Test
  void objectsWithoutPropertiesAreJsonText() {
    assertEquals("string (JSON text)", derive("{'type': 'object'}").toString());
    assertEquals("string (JSON text)", derive("{'type': 'object', 'additionalProperties': true}").toString());
    assertType("STRUCT<a: BIGINT>", "{'type': 'object', 'properties': {'a': {'type': 'integer'}}, 'additionalProperties': true}");
  }

  @Test
  void arrays() {
    assertType("ARRAY<STRING>", "{'type': 'array', 'items': {'type': 'string'}, 'minItems': 1, 'maxItems': 3}");
    assertEquals("array<string> not null", derive("{'type': 'array', 'items': {'type': 'string'}}").toString());
    assertType("ARRAY<STRUCT<n: BIGINT NOT NULL>>",
        "{'type': 'array', 'items': {'type': 'object', 'properties': {'n': {'type': 'integer'}}, 'required': ['n']}}");
    assertTrue(derive("{'type': 'array', 'items': {'type': ['integer', 'null']}}").element().nullable());
    assertFalse(derive("{'type': 'array', 'items': {'type': 'integer'}}").element().nullable());
    assertEquals("array<array<boolean>> not null",
        derive("{'type': 'array', 'items': {'type': 'array', 'items': {'type': 'boolean'}}}").toString());
  }

  @Test
  void enumAndConstTakeTheirValuesType() {
    assertType("STRING", "{'enum': ['red', 'green']}");
    assertType("STRING", "{'type': 'string', 'enum': ['red', 'green']}");
    assertType("BIGINT", "{'enum': [1, 2, 3]}");
    assertType("DOUBLE", "{'enum': [1.5, 2.5]}");
    assertType("BOOLEAN", "{'const': true}");
    assertType("STRING", "{'const': 'x'}");
    assertType("VOID", "{'const': null}");
    SchemaType withNull = derive("{'enum': ['a', null]}");
    assertEquals(SchemaType.Kind.STRING, withNull.kind());
    assertTrue(withNull.nullable());
    assertEquals(SchemaType.Kind.JSON_TEXT, derive("{'enum': ['a', 1]}").kind());
    assertEquals(SchemaType.Kind.JSON_TEXT, derive("{'enum': [1, 2.5]}").kind(), "integer and number differ");
    assertEquals(SchemaType.Kind.JSON_TEXT, derive("{'const': {'a': 1}}").kind());
    assertEquals(SchemaType.Kind.JSON_TEXT, derive("{'enum': [[1], [2]]}").kind());
    assertType("BIGINT", "{'type': 'integer', 'enum': [1, 2]}");
  }

  @Test
  void alternativesOfOneTypeKeepItOthersAreJsonText() {
    assertEquals("string", derive("{'type': ['string', 'null']}").toString());
    assertEquals("bigint", derive("{'anyOf': [{'type': 'integer'}, {'type': 'null'}]}").toString());
    assertEquals("string not null", derive("{'anyOf': [{'type': 'string'}, {'enum': ['a', 'b']}]}").toString());
    assertEquals("string (JSON text)", derive("{'anyOf': [{'type': 'string'}, {'type': 'integer'}]}").toString());
    assertEquals("string (JSON text)", derive("{'type': ['integer', 'number']}").toString());
    assertEquals("void", derive("{'anyOf': [{'type': 'null'}]}").toString());
    assertType("STRUCT<a: BIGINT NOT NULL>", "{'anyOf': [{'type': 'object', 'properties': {'a': {'type': 'integer'}},"
        + " 'required': ['a']}, {'type': 'object', 'properties': {'a': {'type': 'integer', 'minimum': 3}}, 'required': ['a']}]}");
    assertEquals("string (JSON text)", derive("{'anyOf': [{'type': 'object', 'properties': {'a': {'type': 'integer'}}},"
        + " {'type': 'object', 'properties': {'b': {'type': 'integer'}}}]}").toString());
    assertEquals("string (JSON text)", derive("{'anyOf': [{'type': 'array', 'items': {'type': 'integer'}}, {'type': 'integer'}]}").toString());
    assertEquals("string", derive("{'type': ['string', 'null'], 'enum': ['a', null]}").toString());
  }
}
