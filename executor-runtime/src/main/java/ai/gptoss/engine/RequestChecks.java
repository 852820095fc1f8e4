package ai.gptoss.engine;

import java.util.List;

/**
 * The one check of a generation request, run at the engine's door ({@link Engine#submitAll}): prompt ids in
 * the vocabulary, a generation limit, sampling settings, stop ids, and room in the context and the KV pool.
 * Entry points (the CLI, {@code spark-generate}, {@code gptoss()}) parse their input's format and leave these
 * checks to it; each failure is one message naming the request and what is wrong.
 */
public final class RequestChecks {
  private RequestChecks() {}

  /**
   * Why prompt ids {@code ids} cannot run on a model of {@code vocabSize} ids, or null:
   * {@code input_ids is empty} or {@code input_ids[i] = X is outside the vocabulary (vocab_size V)}.
   */
  public static String inputIds(int[] ids, int vocabSize) {
    if (ids == null || ids.length == 0) return "input_ids is empty";
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocabSize) {
        return "input_ids[" + i + "] = " + ids[i] + " is outside the vocabulary (vocab_size " + vocabSize + ")";
      }
    }
    return null;
  }

  /** Why {@code r} cannot run on an engine with {@code config} over a model of {@code vocabSize} ids, or null. */
  static String problem(GenerationRequest r, int vocabSize, EngineConfig config) {
    String why = why(r, vocabSize, config);
    return why == null ? null : "request " + r.id() + ": " + why;
  }

  private static String why(GenerationRequest r, int vocabSize, EngineConfig config) {
    String ids = inputIds(r.inputIds(), vocabSize);
    if (ids != null) return ids;
    if (r.maxNewTokens() < 1) return "max_new_tokens must be at least 1, got " + r.maxNewTokens();
    if (r.sampling() == null) return "sampling is null";
    String sampling = r.sampling().problem();
    if (sampling != null) return sampling;
    List<Integer> stops = r.stopTokenIds();
    for (int i = 0; i < stops.size(); i++) {
      if (stops.get(i) < 0 || stops.get(i) >= vocabSize) {
        return "stop_token_ids[" + i + "] = " + stops.get(i) + " is outside the vocabulary (vocab_size " + vocabSize + ")";
      }
    }
    int promptLen = r.inputIds().length;
    if (promptLen + 1L > config.maxModelLen()) {
      return "prompt of " + promptLen + " tokens leaves no room to generate within the max model length of "
          + config.maxModelLen();
    }
    long poolTokens = (long) config.fullPages() * config.pageSize();
    if (promptLen + 1L > poolTokens) return "prompt of " + promptLen + " tokens does not fit the KV pool (" + poolTokens + " tokens)";
    return null;
  }
}
