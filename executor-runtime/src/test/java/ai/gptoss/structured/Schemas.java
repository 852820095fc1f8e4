package ai.gptoss.structured;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The structured-output test schemas ({@code /structured/schemas.jsonl}: together they use every
 * supported keyword) and an independent check of answers: strict JSON parsing (Jackson) and
 * JSON Schema 2020-12 validation by networknt's json-schema-validator.
 */
public final class Schemas {
  private Schemas() {}

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

  /** One named test schema. */
  public record Case(String name, String formatJson, ResponseFormat format, JsonSchema validator) {
    /** Null when {@code answer} is JSON that the schema accepts, else what is wrong. */
    public String problem(String answer) {
      JsonNode v;
      try {
        v = JSON.readTree(answer);
      } catch (IOException e) {
        return "not JSON: " + e.getMessage();
      }
      if (v == null) return "empty answer";
      Set<ValidationMessage> errors = validator.validate(v);
      return errors.isEmpty() ? null : "invalid: " + errors;
    }
  }

  public static List<Case> all() {
    List<Case> out = new ArrayList<>();
    var in = Schemas.class.getResourceAsStream("/structured/schemas.jsonl");
    if (in == null) throw new AssertionError("test resource /structured/schemas.jsonl is missing");
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) continue;
        JsonNode n = JSON.readTree(line);
        String formatJson = n.get("format").toString();
        ResponseFormat f = ResponseFormat.parse(formatJson);
        out.add(new Case(n.get("name").asText(), formatJson, f, FACTORY.getSchema(f.schema())));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (out.size() < 10) throw new IllegalStateException("at least 10 schemas, found " + out.size()); // no JUnit: the device checker uses this
    return out;
  }

  public static Case named(String name) {
    return all().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }
}
