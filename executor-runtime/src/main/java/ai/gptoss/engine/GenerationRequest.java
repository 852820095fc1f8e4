package ai.gptoss.engine;

import java.util.List;

/**
 * One generation request submitted to an {@link Engine}.
 *
 * @param id caller's identifier, echoed in the result
 * @param inputIds prompt token ids
 * @param maxNewTokens generation limit (at least 1)
 * @param stopTokenIds generation stops after emitting any of these (harmony: 200002, 200012); empty: it runs to
 *     {@code maxNewTokens} or the end of the context (vLLM's {@code ignore_eos})
 * @param temperature 0 for greedy
 * @param topP nucleus mass, 1 disables
 * @param topK 0 disables
 * @param seed sampling seed; the same seed gives the same tokens whatever else shares the batch
 */
public record GenerationRequest(
    String id,
    int[] inputIds,
    int maxNewTokens,
    List<Integer> stopTokenIds,
    float temperature,
    float topP,
    int topK,
    long seed) {

  public GenerationRequest {
    stopTokenIds = List.copyOf(stopTokenIds);
  }

  public static GenerationRequest greedy(String id, int[] inputIds, int maxNewTokens, List<Integer> stopTokenIds) {
    return new GenerationRequest(id, inputIds, maxNewTokens, stopTokenIds, 0f, 1f, 0, 0L);
  }
}
