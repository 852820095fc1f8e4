package ai.gptoss.spark.exec;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.batch.InFlightWindow;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.harmony.ChatMessage;
import ai.gptoss.harmony.HarmonyRenderer;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import java.util.List;

/**
 * Turns a {@code gptoss()} row's prompt into an engine request with the call's options, or says why the row is
 * bad. What the engine checks when the request is submitted (token ids in the vocabulary, room in the context,
 * sampling settings) it reports itself, naming the row.
 */
public final class Prompts {
  private Prompts() {}

  /**
   * The request for prompt ids {@code ids}: the options' limits and sampling, a seed from {@code seeds}, and
   * the engine's stop tokens unless {@code ignore_eos}.
   *
   * @param id names the row ({@code partition 0 row 7})
   */
  static InFlightWindow.Prepared request(ExecutorEngine engine, String id, int[] ids, GptossOptions o, RowSeeds seeds) {
    InFlightWindow.Prepared tooLong = tooLong(id, ids.length, o.maxPromptTokens());
    if (tooLong != null) return tooLong;
    List<Integer> stops = o.ignoreEos() ? List.of() : engine.stopTokens();
    return InFlightWindow.Prepared.of(new GenerationRequest(id, ids, MaxNewTokens.forRequest(o.maxNewTokens()), stops,
        SamplingParams.of(o.temperature(), o.topP(), o.topK(), seeds.next(ids))), id);
  }

  /** The row's error when its prompt is longer than {@code spark.gptoss.maxPromptTokens} (0: no limit), else null. */
  public static InFlightWindow.Prepared tooLong(String id, int promptTokens, int maxPromptTokens) {
    if (maxPromptTokens <= 0 || promptTokens <= maxPromptTokens) return null;
    return InFlightWindow.Prepared.bad(id + ": the prompt has " + promptTokens + " tokens, more than "
        + GptossConf.MAX_PROMPT_TOKENS + "=" + maxPromptTokens, promptTokens);
  }

  static InFlightWindow.Prepared prompt(ExecutorEngine engine, String id, String prompt, GptossOptions o, RowSeeds seeds) {
    if (prompt == null) return InFlightWindow.Prepared.bad(id + ": the prompt is null", 0);
    if (prompt.isBlank()) return InFlightWindow.Prepared.bad(id + ": the prompt is empty", 0);
    return request(engine, id, engine.renderPrompt(prompt, o), o, seeds);
  }

  /** A chat conversation rendered with the call's chat options. */
  static InFlightWindow.Prepared chat(ExecutorEngine engine, String id, List<ChatMessage> messages, GptossOptions o,
      RowSeeds seeds) {
    if (messages == null) return InFlightWindow.Prepared.bad(id + ": the messages are null", 0);
    if (messages.isEmpty()) return InFlightWindow.Prepared.bad(id + ": the messages are empty", 0);
    for (int i = 0; i < messages.size(); i++) {
      ChatMessage m = messages.get(i);
      if (m.role() == null) return InFlightWindow.Prepared.bad(id + ": messages[" + i + "].role is null", 0);
      if (m.content() == null) return InFlightWindow.Prepared.bad(id + ": messages[" + i + "].content is null", 0);
    }
    int[] ids;
    try {
      ids = HarmonyRenderer.get().renderChat(messages, ExecutorEngine.chatOptions(o));
    } catch (IllegalArgumentException e) {
      return InFlightWindow.Prepared.bad(id + ": " + e.getMessage(), 0);
    }
    return request(engine, id, ids, o, seeds);
  }
}
