package ai.gptoss.spark.exec;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.BackendException;
import ai.gptoss.batch.StopTokens;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.engine.EngineStats;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.RequestHandle;
import ai.gptoss.harmony.ChatMessage;
import ai.gptoss.harmony.ChatOptions;
import ai.gptoss.harmony.HarmonyRenderer;
import ai.gptoss.harmony.ReasoningEffort;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An executor's resident engine for one model on one device, with the harmony tokenizer, renderer and
 * parser in front of it. Every task of the executor submits into the same {@link Engine}, so its
 * continuous batching spans all of them. Created by {@link ExecutorEngines} only.
 */
public final class ExecutorEngine implements AutoCloseable {
  private static final AtomicLong INSTANCES = new AtomicLong();

  private final EngineSettings key;
  private final Engine engine;
  private final long instanceId;
  private final List<Integer> stopTokens;
  private final int vocabSize;
  private final EngineRateLog rateLog;

  private ExecutorEngine(EngineSettings key, Engine engine) {
    this.key = key;
    this.engine = engine;
    this.instanceId = INSTANCES.incrementAndGet();
    ModelConfig c = engine.backend().config();
    this.stopTokens = StopTokens.of(c);
    this.vocabSize = c.vocabSize();
    this.rateLog = new EngineRateLog(describe(), engine::stats);
  }

  /**
   * Loads the model on the key's device and starts the engine loop.
   *
   * @param kvBudgetBytes cap on the KV cache (from {@link GpuMemoryPlan}), 0 for the backend's own budget
   */
  static ExecutorEngine start(EngineSettings key, Path modelDir, long kvBudgetBytes) {
    Backend opened = key.open(modelDir);
    return start(key, kvBudgetBytes > 0 ? new BudgetedBackend(opened, kvBudgetBytes) : opened);
  }

  /** Starts the engine over an opened {@code backend} (closed here if the engine cannot start). */
  static ExecutorEngine start(EngineSettings key, Backend backend) {
    try {
      return new ExecutorEngine(key, Engine.start(backend, key.engineConfig()));
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  EngineSettings settings() {
    return key;
  }

  /** "cpu" or "cuda:N". */
  String device() {
    return key.device();
  }

  /** Distinguishes engines of one JVM (tests check that an executor creates exactly one). */
  long instanceId() {
    return instanceId;
  }


  /** The engine's sequences per step, as resolved for its device. */
  int maxSeqsPerStep() {
    return engine.config().maxSeqsPerStep();
  }

  public int vocabSize() {
    return vocabSize;
  }

  /** What ends a request on this engine's model ({@link StopTokens}). */
  public List<Integer> stopTokens() {
    return stopTokens;
  }

  /** A user prompt rendered as harmony does for completion (system message from the options). */
  int[] renderPrompt(String prompt, GptossOptions o) {
    return renderChat(List.of(ChatMessage.user(prompt)), o);
  }

  int[] renderChat(List<ChatMessage> messages, GptossOptions o) {
    return HarmonyRenderer.get().renderChat(messages, chatOptions(o));
  }

  public static ChatOptions chatOptions(GptossOptions o) {
    ChatOptions c = ChatOptions.DEFAULTS.withReasoningEffort(ReasoningEffort.parse(o.reasoningEffort(), "reasoning_effort"));
    if (o.instructions() != null) c = c.withInstructions(o.instructions());
    if (o.date() != null) c = c.withConversationStartDate(o.date());
    return c;
  }

  RequestHandle submit(GenerationRequest request) {
    return engine.submit(request);
  }

  /** The engine itself, for the task's {@link RequestWindow}. */
  Engine engine() {
    return engine;
  }

  EngineStats stats() {
    return engine.stats();
  }

  String describe() {
    return "engine #" + instanceId + " (" + key.device() + ", " + EngineIdentity.describe(key) + ")";
  }

  /** The sticky device error that made the engine FAILED, or null while it works. */
  BackendException failure() {
    return engine.failure();
  }

  @Override
  public void close() {
    rateLog.close();
    engine.close();
    engine.backend().close();
  }
}
