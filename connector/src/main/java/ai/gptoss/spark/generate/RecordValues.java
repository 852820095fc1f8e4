package ai.gptoss.spark.generate;

import ai.gptoss.batch.Answer;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.spark.typed.SchemaType;
import ai.gptoss.spark.typed.SchemaTypes;
import ai.gptoss.spark.typed.TypedAnswer;
import ai.gptoss.structured.ResponseFormat;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code value} of a {@code spark-generate} record whose line gave a {@code response_format}: the final answer as
 * the JSON value it is, checked against the schema's shape as {@code gptoss()}'s typed {@code value} is
 * ({@link TypedAnswer}); null, with an {@code error} naming the line and saying why, when the line was cut off
 * before its JSON closed or its answer is no such value. One per task (it keeps the type of each schema it saw).
 */
final class RecordValues {
  private final Map<String, SchemaType> types = new HashMap<>();

  /** Adds {@code value} to {@code record} when {@code request} has a response format; {@code where} names the line. */
  void add(ObjectNode record, String where, GenerationRequest request, Answer a) {
    ResponseFormat format = request == null ? null : request.responseFormat();
    if (format == null) return;
    SchemaType type = types.computeIfAbsent(format.key(), k -> SchemaTypes.of(format));
    TypedAnswer t = TypedAnswer.of(a.finalText(), a.finishReason(), type,
        "max_new_tokens=" + MaxNewTokens.describe(request.maxNewTokens()));
    if (t.error() != null) record.put("error", where + ": " + t.error());
    record.set("value", t.json() == null ? NullNode.getInstance() : t.json());
  }
}
