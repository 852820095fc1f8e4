package ai.gptoss.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.spark.exec.RowSeeds;
import ai.gptoss.spark.generate.SparkGenerate;
import ai.gptoss.backend.Precision;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GptossOptionsTest {
  @Test
  void precedenceIsFunctionThenSessionThenDefault() {
    Map<String, String> session = Map.of("spark.gptoss.max_new_tokens", "10", "spark.gptoss.temperature", "0.5");
    GptossOptions o = GptossOptions.resolve(Map.of("max_new_tokens", "20"), session::get);
    assertEquals(20, o.maxNewTokens());
    assertEquals(0.5f, o.temperature());
    assertEquals(GptossConf.MAX_IN_FLIGHT_DEFAULT, o.maxInFlight());
    assertFalse(o.structOutput());
    assertEquals(GptossOptions.defaults().maxNewTokens(), GptossConf.MAX_NEW_TOKENS_DEFAULT);
  }

  @Test
  void maxNewTokensIsAutoByDefaultTheSameInGptossAndSparkGenerate() {
    assertEquals(ai.gptoss.batch.MaxNewTokens.AUTO_VALUE, GptossOptions.defaults().maxNewTokens());
    assertEquals(0, GptossOptions.resolve(Map.of("max_new_tokens", "AUTO"), k -> null).maxNewTokens());
    var spec = new picocli.CommandLine(new SparkGenerate()).getCommandSpec();
    assertEquals(ai.gptoss.batch.MaxNewTokens.AUTO, spec.findOption("--max-new-tokens").defaultValue());
    var zero = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of("max_new_tokens", "0"), k -> null));
    assertTrue(zero.getMessage().contains("expected auto or an integer >= 1"), zero.getMessage());
  }

  @Test
  void responseFormatIsCheckedWhenResolvedAndGivesTheValueType() {
    assertNull(GptossOptions.defaults().responseFormat());
    assertNull(GptossOptions.defaults().valueType());
    String wrapped = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"n\", \"schema\": {\"type\": \"integer\"}}}";
    GptossOptions o = GptossOptions.resolve(Map.of("response_format", wrapped), k -> null);
    assertEquals("n", o.responseFormat().name());
    assertEquals(org.apache.spark.sql.types.DataTypes.LongType, o.valueType().dataType());
    assertTrue(o.toString().contains("response_format=json_schema(n)"), o.toString());
    GptossOptions session = GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.response_format", "{\"type\": \"boolean\"}")::get);
    assertEquals(org.apache.spark.sql.types.DataTypes.BooleanType, session.valueType().dataType());
    var keyword = assertThrows(IllegalArgumentException.class, () -> GptossOptions.resolve(
        Map.of("response_format", "{\"type\": \"object\", \"properties\": {\"a\": {\"oneOf\": []}}}"), k -> null));
    assertEquals("gptoss() option 'response_format': unsupported keyword \"oneOf\" at $.properties.a", keyword.getMessage());
    var json = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.response_format", "{type: integer}")::get));
    assertTrue(json.getMessage().startsWith("session conf 'spark.gptoss.response_format': not valid JSON"), json.getMessage());
  }

  @Test
  void unknownSessionKeysFailLikeUnknownFunctionOptions() {
    GptossOptions.checkSessionKeys(java.util.List.of("spark.gptoss.max_new_tokens", "spark.gptoss.engine.max_seqs",
        "spark.sql.shuffle.partitions"));
    var e = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.checkSessionKeys(java.util.List.of("spark.master", "spark.gptoss.max_tokens")));
    assertTrue(e.getMessage().startsWith("session conf 'spark.gptoss.max_tokens': unknown gptoss option; known options: ")
        && e.getMessage().contains("max_new_tokens"), e.getMessage());
  }

  @Test
  void errorsNameTheOptionAndWhereItCameFrom() {
    var fn = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of("top_p", "2"), k -> null));
    assertTrue(fn.getMessage().contains("gptoss() option 'top_p'") && fn.getMessage().contains("'2'"), fn.getMessage());
    var session = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.error_mode", "explode")::get));
    assertTrue(session.getMessage().contains("spark.gptoss.error_mode") && session.getMessage().contains("explode"),
        session.getMessage());
    var unknown = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of("max_tokens", "2"), k -> null));
    assertTrue(unknown.getMessage().contains("max_tokens"), unknown.getMessage());
  }

  @Test
  void stepBudgetAndInFlightDefaultToAutoAndAreValidated() {
    GptossOptions d = GptossOptions.defaults();
    assertEquals(0, d.engineMaxBatchedTokens()); // 0: the device's (StepBudget), resolved by the engine
    assertEquals(0, d.engineMaxSeqs());
    assertEquals(0, d.maxInFlight()); // 0: the engine's sequences per step
    GptossOptions auto = GptossOptions.resolve(Map.of("engine.max_seqs", "AUTO", "max_in_flight", " auto"), k -> null);
    assertEquals(0, auto.engineMaxSeqs());
    assertEquals(0, auto.maxInFlight());
    assertEquals(512, GptossOptions.resolve(Map.of("engine.max_seqs", "512"), k -> null).engineMaxSeqs());
    var badSeqs = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.max_in_flight", "many")::get));
    assertTrue(badSeqs.getMessage().contains("spark.gptoss.max_in_flight") && badSeqs.getMessage().contains("expected auto or an integer >= 1"),
        badSeqs.getMessage());
    GptossOptions big = GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.engine.max_batched_tokens", "16384")::get);
    assertEquals(16384, big.engineMaxBatchedTokens());
    assertTrue(big.toString().contains("engine.max_batched_tokens=16384"), big.toString());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of("engine.max_batched_tokens", "0"), k -> null));
    assertTrue(bad.getMessage().contains("engine.max_batched_tokens"), bad.getMessage());
  }

  @Test
  void precisionDefaultsToFastAndIsValidated() {
    assertEquals(Precision.FAST, GptossOptions.defaults().precision(), "the default: fast, bf16 K/V");
    assertEquals(Precision.DEFAULT.id(), GptossConf.PRECISION_DEFAULT);
    assertEquals(Precision.EXACT, GptossOptions.resolve(Map.of("precision", "exact"), k -> null).precision());
    assertEquals(Precision.FAST, GptossOptions.resolve(Map.of(), Map.of("spark.gptoss.precision", "FAST")::get).precision());
    var bad = assertThrows(IllegalArgumentException.class,
        () -> GptossOptions.resolve(Map.of("precision", "fp8"), k -> null));
    assertTrue(bad.getMessage().contains("'precision'") && bad.getMessage().contains("fp8")
        && bad.getMessage().contains("expected exact, balanced or fast"), bad.getMessage());
  }

  @Test
  void rowSeedsDependOnGlobalSeedContentAndOccurrence() {
    RowSeeds a = new RowSeeds(1), b = new RowSeeds(1), c = new RowSeeds(2);
    int[] p = {1, 2, 3}, q = {1, 2, 4};
    long first = a.next(p);
    assertEquals(first, b.next(p));
    assertNotEquals(first, c.next(p));
    assertNotEquals(first, a.next(p), "a repeated prompt gets a new seed");
    assertNotEquals(first, a.next(q));
  }
}
