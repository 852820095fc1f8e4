package ai.gptoss.spark.exec;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.harmony.ChatMessage;
import ai.gptoss.harmony.ChatOptions;
import ai.gptoss.harmony.HarmonyRenderer;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import java.util.List;

/** Turns a row's prompt ids into an engine request, or says why the row is bad. */
public final class Prompts {
  private Prompts() {}

  /**
   * Sampling of one row ({@code maxNewTokens} 0: auto, the rest of the context).
   *
   * @param seed the request's seed, or null to derive it from the global seed and the prompt ({@link RowSeeds})
   * @param ignoreEos no stop tokens: generate {@code maxNewTokens} (or until the context is full)
   */
  public record Sampling(int maxNewTokens, float temperature, float topP, int topK, Long seed, boolean ignoreEos) {
    public Sampling(int maxNewTokens, float temperature, float topP, int topK, Long seed) {
      this(maxNewTokens, temperature, topP, topK, seed, false);
    }

    static Sampling of(GptossOptions o) {
      return new Sampling(o.maxNewTokens(), o.temperature(), o.topP(), o.topK(), null, o.ignoreEos());
    }
  }

  public static RequestWindow.Prepared request(ExecutorEngine engine, String id, int[] ids, Sampling s, int maxPromptTokens,
      RowSeeds seeds) {
    if (ids.length == 0) return RequestWindow.Prepared.bad(id + ": the prompt has no tokens", 0);
    if (maxPromptTokens > 0 && ids.length > maxPromptTokens) {
      return RequestWindow.Prepared.bad(id + ": the prompt has " + ids.length + " tokens, more than "
          + GptossConf.MAX_PROMPT_TOKENS + "=" + maxPromptTokens, ids.length);
    }
    if (ids.length >= engine.maxModelLen()) {
      return RequestWindow.Prepared.bad(id + ": prompt of " + ids.length + " tokens leaves no room to generate within the "
          + "max model length of " + engine.maxModelLen(), ids.length);
    }
    long seed = s.seed() != null ? s.seed() : seeds.next(ids);
    List<Integer> stops = s.ignoreEos() ? List.of() : engine.stopTokens();
    return new RequestWindow.Prepared(new GenerationRequest(id, ids, MaxNewTokens.forRequest(s.maxNewTokens()), stops,
        SamplingParams.of(s.temperature(), s.topP(), s.topK(), seed)), null, ids.length);
  }

  public static RequestWindow.Prepared prompt(ExecutorEngine engine, String id, String prompt, GptossOptions o, Sampling s,
      RowSeeds seeds) {
    if (prompt == null) return RequestWindow.Prepared.bad(id + ": the prompt is null", 0);
    if (prompt.isBlank()) return RequestWindow.Prepared.bad(id + ": the prompt is empty", 0);
    return request(engine, id, engine.renderPrompt(prompt, o), s, o.maxPromptTokens(), seeds);
  }

  static RequestWindow.Prepared chat(ExecutorEngine engine, String id, List<ChatMessage> messages, GptossOptions o,
      Sampling s, RowSeeds seeds) {
    return chat(engine, id, messages, ExecutorEngine.chatOptions(o), o.maxPromptTokens(), s, seeds);
  }

  /** A chat conversation rendered with explicit chat options (a line's own, over the job's). */
  public static RequestWindow.Prepared chat(ExecutorEngine engine, String id, List<ChatMessage> messages, ChatOptions chat,
      int maxPromptTokens, Sampling s, RowSeeds seeds) {
    if (messages == null) return RequestWindow.Prepared.bad(id + ": the messages are null", 0);
    if (messages.isEmpty()) return RequestWindow.Prepared.bad(id + ": the messages are empty", 0);
    for (int i = 0; i < messages.size(); i++) {
      ChatMessage m = messages.get(i);
      if (m.role() == null) return RequestWindow.Prepared.bad(id + ": messages[" + i + "].role is null", 0);
      if (m.content() == null) return RequestWindow.Prepared.bad(id + ": messages[" + i + "].content is null", 0);
    }
    int[] ids;
    try {
      ids = HarmonyRenderer.get().renderChat(messages, chat);
    } catch (IllegalArgumentException e) {
      return RequestWindow.Prepared.bad(id + ": " + e.getMessage(), 0);
    }
    return request(engine, id, ids, s, maxPromptTokens, seeds);
  }
}
