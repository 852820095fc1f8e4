package ai.gptoss.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResponseFormatTest {
  @Test
  void openAiFormAndBareSchemaGiveTheSameSchema() {
    String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"a\"],\"additionalProperties\":false}";
    ResponseFormat wrapped = ResponseFormat.parse("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"answer\",\"strict\":true,\"schema\":" + schema + "}}");
    ResponseFormat bare = ResponseFormat.parse(schema);
    assertEquals("answer", wrapped.name());
    assertEquals(ResponseFormat.DEFAULT_NAME, bare.name());
    assertEquals(bare.schema(), wrapped.schema());
    assertEquals(bare.key(), wrapped.key());
    assertNotEquals(bare, wrapped); // names differ
  }

  @Test
  void keyIsCanonicalWhateverTheKeyOrderAndSpacing() {
    ResponseFormat a = ResponseFormat.parse("{\"type\": \"string\", \"maxLength\": 5}");
    ResponseFormat b = ResponseFormat.parse("{\"maxLength\":5,\"type\":\"string\"}");
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals("{\"maxLength\":5,\"type\":\"string\"}", a.key());
  }

  @Test
  void javaSerializationRoundTrips() throws Exception {
    ResponseFormat f = ResponseFormat.parse("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}");
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(f);
    }
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      ResponseFormat back = (ResponseFormat) in.readObject();
      assertEquals(f, back);
      assertEquals(f.schema(), back.schema());
    }
  }

  @Test
  void bareSchemaTitleNamesIt() {
    assertEquals("Person", ResponseFormat.parse("{\"title\":\"Person\",\"type\":\"null\"}").name());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"type\":\"object\",\"properties\":{\"x\":{\"oneOf\":[{\"type\":\"string\"}]}}}|unsupported keyword \"oneOf\" at $.properties.x",
      "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"format\":\"date\"}}|unsupported keyword \"format\" at $.items",
      "{\"anyOf\":[{\"type\":\"string\"},{\"$ref\":\"#/x\"}]}|unsupported keyword \"$ref\" at $.anyOf[1]",
      "{\"type\":\"string\",\"minimum\":3}|keyword \"minimum\" does not apply to type string at $",
      "{\"type\":\"object\",\"properties\":{}, \"required\":[\"a\"]}|required property \"a\" is not declared in \"properties\" at $.required",
      "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}|a schema there is not supported) at $.additionalProperties",
      "{\"type\":\"array\"}|an array needs \"items\"",
      "{\"type\":\"array\",\"items\":{\"type\":\"null\"},\"minItems\":3,\"maxItems\":2}|\"minItems\" 3 is above \"maxItems\" 2 at $",
      "{\"type\":\"integer\",\"minimum\":2.5,\"maximum\":2.9}|no 64-bit integer lies within the bounds at $",
      "{\"type\":\"strin\"}|unsupported type \"strin\" at $.type",
      "{\"description\":\"any\"}|a schema needs \"type\"",
      "{\"type\":\"string\",\"enum\":[\"a\",1]}|value 1 is not of type string at $.enum[1]",
      "{\"type\":\"string\",\"enum\":[\"a\"],\"maxLength\":3}|keyword \"maxLength\" next to \"enum\" is not supported at $",
      "{\"type\":\"json_object\"}|type \"json_object\" is not supported",
      "{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"null\"}}}|$.json_schema.name must be a non-empty string",
      "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":\"null\",\"not\":{}}}}|unsupported keyword \"not\" at $",
      "[1,2]|expected a JSON object",
      "{\"type\":|not valid JSON",
      "{\"type\":\"string\",\"maxLength\":-1}|\"maxLength\" must be a non-negative integer below 2^31 at $.maxLength",
  })
  void badFormatsNameTheKeywordAndPath(String json, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResponseFormat.parse(json));
    assertTrue(e.getMessage().startsWith("response_format: "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void everySupportedKeywordIsAccepted() {
    String s = """
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "t", "description": "d",
         "type": "object", "additionalProperties": false, "required": ["a"],
         "properties": {
           "a": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 4}, "minItems": 1, "maxItems": 3},
           "b": {"type": "string", "pattern": "^[a-z]+$", "examples": ["x"], "default": "y"},
           "c": {"type": "integer", "minimum": -5, "maximum": 5},
           "d": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "$comment": "c"},
           "e": {"type": ["boolean", "null"]},
           "f": {"enum": ["x", 1, null]},
           "g": {"const": {"k": [1]}},
           "h": {"anyOf": [{"type": "string", "enum": ["q"]}, {"type": "object", "properties": {}, "additionalProperties": true}]}
         }}""";
    assertEquals("t", ResponseFormat.parse(s).name());
  }
}
