package ai.gptoss.cli;

import ai.gptoss.batch.LineErrors;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.batch.Progress;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.engine.RequestHandle;
import ai.gptoss.harmony.Harmony;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a JSONL file through one engine: keeps about {@code window} requests in the engine so that
 * continuous batching always has work, writes one result line per input line in input order, and
 * shows its {@link Progress} on stderr. A run is single-use. Every input line gets a record
 * (an error record when it cannot run, a blank line included), so output line N answers input line N.
 */
final class BatchRun {
  /** One input line on its way through: its parse and, when it parsed, its engine handle. */
  record Pending(BatchLine.Parsed line, RequestHandle handle) {}

  /** What a run did. {@code requests} holds the requests that ran (for the sequential benchmark). */
  record Summary(int lines, Map<FinishReason, Integer> reasons, long generatedTokens, double seconds,
      List<GenerationRequest> requests, List<int[]> outputs) {
    double tokensPerSecond() {
      return seconds > 0 ? generatedTokens / seconds : 0;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Engine engine;
  private final BatchLine parser;
  private final int window;
  private final PrintStream progress;
  private final boolean keepOutputs;
  private final int maxPending;
  private final boolean harmonyFields;
  private final AtomicInteger inFlight = new AtomicInteger(); // submitted, not yet finished
  private int lineNo;
  private boolean eof;

  BatchRun(Engine engine, BatchLine parser, int window, PrintStream progress, boolean keepOutputs) {
    this(engine, parser, window, progress, keepOutputs, false);
  }

  /** @param harmonyFields add the parsed {@code final}, {@code analysis} and raw {@code text} to each record */
  BatchRun(Engine engine, BatchLine parser, int window, PrintStream progress, boolean keepOutputs, boolean harmonyFields) {
    this.harmonyFields = harmonyFields;
    this.engine = engine;
    this.parser = parser;
    this.window = Math.max(1, window);
    this.progress = progress;
    this.keepOutputs = keepOutputs;
    this.maxPending = 16 * this.window;
  }

  Summary run(BufferedReader in, Writer out, int totalLines) throws IOException {
    long t0 = System.nanoTime();
    long generated0 = engine.stats().generatedTokens();
    Progress bar = progress == null ? null : new Progress("generate", totalLines, progress, Progress.onTerminal());
    ArrayDeque<Pending> pending = new ArrayDeque<>();
    Map<FinishReason, Integer> reasons = new EnumMap<>(FinishReason.class);
    List<GenerationRequest> ran = new ArrayList<>();
    List<int[]> outputs = new ArrayList<>();
    int done = 0;
    while (true) {
      // Keep about `window` requests in the engine; finished ones wait in `pending` (up to
      // maxPending) until every line before them is written, so a long request at the head does
      // not starve the batch.
      if (!eof && inFlight.get() <= window / 2 && pending.size() < maxPending) refill(in, pending);
      if (pending.isEmpty()) {
        if (eof) break;
        continue;
      }
      Pending head = pending.peekFirst();
      GenerationResult r = head.handle() == null ? PARSE_ERROR : await(head.handle());
      if (r != null) {
        pending.pollFirst();
        write(out, head.line(), r);
        reasons.merge(r.finishReason(), 1, Integer::sum);
        if (keepOutputs && head.line().request() != null && r.finishReason() != FinishReason.ERROR) {
          ran.add(head.line().request());
          outputs.add(r.outputIds());
        }
        done++;
      }
      if (bar != null) bar.update(done, engine.stats().generatedTokens() - generated0);
    }
    out.flush();
    double seconds = (System.nanoTime() - t0) / 1e9;
    long generated = engine.stats().generatedTokens() - generated0;
    if (bar != null) bar.finish(done, generated);
    return new Summary(done, reasons, generated, seconds, ran, outputs);
  }

  /** Reads lines until `window` requests are in the engine, the buffer is full or the input ends. */
  private void refill(BufferedReader in, ArrayDeque<Pending> pending) throws IOException {
    List<BatchLine.Parsed> batch = new ArrayList<>();
    int valid = 0;
    while (inFlight.get() + valid < window && pending.size() + batch.size() < maxPending) {
      String line = in.readLine();
      if (line == null) {
        eof = true;
        break;
      }
      lineNo++;
      BatchLine.Parsed p = parser.parse(line, lineNo);
      batch.add(p);
      if (p.request() != null) valid++;
    }
    List<GenerationRequest> reqs = new ArrayList<>();
    for (BatchLine.Parsed p : batch) if (p.request() != null) reqs.add(p.request());
    inFlight.addAndGet(reqs.size());
    List<RequestHandle> handles = engine.submitAll(reqs);
    int h = 0;
    for (BatchLine.Parsed p : batch) {
      RequestHandle handle = p.request() != null ? handles.get(h++) : null;
      if (handle != null) handle.result().whenComplete((r, e) -> inFlight.decrementAndGet());
      pending.addLast(new Pending(p, handle));
    }
  }

  /** The result, or null if it is not ready within a short wait. */
  private static GenerationResult await(RequestHandle h) {
    try {
      return h.result().get(50, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for results");
    } catch (ExecutionException e) {
      throw new IllegalStateException("engine failed: " + e.getCause(), e.getCause());
    }
  }

  /** Marker result for lines that failed to parse; the record is built from the parse error. */
  private static final GenerationResult PARSE_ERROR = GenerationResult.failed(null, 0, null);

  private void write(Writer out, BatchLine.Parsed line, GenerationResult r) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    if (line.id() == null) o.putNull("id");
    else o.set("id", line.id());
    ArrayNode ids = o.putArray("output_ids");
    String error;
    if (line.request() == null) {
      o.put("finish_reason", FinishReason.ERROR.wireName());
      o.put("prompt_tokens", 0);
      o.put("completion_tokens", 0);
      o.put("cached_tokens", 0);
      error = line.error();
    } else {
      for (int id : r.outputIds()) ids.add(id);
      o.put("finish_reason", r.finishReason().wireName());
      o.put("prompt_tokens", r.promptTokens());
      o.put("completion_tokens", r.completionTokens());
      o.put("cached_tokens", r.cachedTokens());
      String where = LineErrors.where(line.lineNo(), line.id());
      error = r.error() != null ? where + ": " + withoutRequestId(r.error(), line.request().id())
          : r.finishReason() == FinishReason.LENGTH && !line.request().stopTokenIds().isEmpty()
          ? where + ": " + MaxNewTokens.truncation(line.request().maxNewTokens(), r.completionTokens())
          : null;
    }
    if (error == null) o.putNull("error");
    else o.put("error", error);
    if (harmonyFields) {
      Harmony.Completion c = Harmony.completion(line.request() == null ? new int[0] : r.outputIds());
      o.put("final", c.finalText());
      o.put("analysis", c.analysisText());
      o.put("text", c.text());
    }
    out.write(JSON.writeValueAsString(o));
    out.write('\n');
  }

  /** The engine's message without its {@code request <id>: } prefix (the record names the line and id). */
  private static String withoutRequestId(String error, String requestId) {
    String prefix = "request " + requestId + ": ";
    return error.startsWith(prefix) ? error.substring(prefix.length()) : error;
  }
}
