package ai.gptoss.engine;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.structured.ResponseFormat;
import java.util.List;

/**
 * One generation request submitted to an {@link Engine}. The engine checks it when it is submitted
 * (token ids within the vocabulary, limits, sampling settings) and rejects a bad one with an error
 * naming what is wrong.
 *
 * @param id caller's identifier, echoed in the result
 * @param inputIds prompt token ids
 * @param maxNewTokens generation limit (at least 1)
 * @param stopTokenIds generation stops after emitting any of these (harmony: 200002, 200012); empty: it runs to
 *     {@code maxNewTokens} or the end of the context (vLLM's {@code ignore_eos})
 * @param sampling temperature, top-p, top-k and seed ({@link SamplingParams#of}, counter 0: the engine sets it
 *     per generated token); the same seed gives the same tokens whatever else shares the batch
 * @param responseFormat the JSON schema the final answer follows (the {@code final} channel's message is
 *     constrained token by token; see {@link ai.gptoss.structured.AnswerConstraint}), or null: unconstrained
 */
public record GenerationRequest(
    String id,
    int[] inputIds,
    int maxNewTokens,
    List<Integer> stopTokenIds,
    SamplingParams sampling,
    ResponseFormat responseFormat) {

  public GenerationRequest {
    stopTokenIds = List.copyOf(stopTokenIds);
  }

  /** An unconstrained request. */
  public GenerationRequest(String id, int[] inputIds, int maxNewTokens, List<Integer> stopTokenIds, SamplingParams sampling) {
    this(id, inputIds, maxNewTokens, stopTokenIds, sampling, null);
  }

  /** This request with its final answer constrained to {@code format} (null: unconstrained). */
  public GenerationRequest withResponseFormat(ResponseFormat format) {
    return new GenerationRequest(id, inputIds, maxNewTokens, stopTokenIds, sampling, format);
  }

  public static GenerationRequest greedy(String id, int[] inputIds, int maxNewTokens, List<Integer> stopTokenIds) {
    return new GenerationRequest(id, inputIds, maxNewTokens, stopTokenIds, SamplingParams.greedy());
  }
}
