package ai.gptoss.cli;

import ai.gptoss.batch.Answer;
import ai.gptoss.batch.InFlightWindow;
import ai.gptoss.batch.Progress;
import ai.gptoss.batch.RequestLine;
import ai.gptoss.batch.ResultRecord;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Runs a JSONL file through one engine: keeps about {@code window} requests in the engine so that
 * continuous batching always has work ({@link InFlightWindow}), writes one {@link ResultRecord} per input
 * line in input order, and shows its {@link Progress} on stderr. A run is single-use. Every input line gets a
 * record (an error record when it cannot run, a blank line included), so output line N answers input line N.
 */
final class BatchRun {
  /** What a run did. {@code requests} holds the requests that ran (for the sequential benchmark). */
  record Summary(int lines, Map<FinishReason, Integer> reasons, long generatedTokens, double seconds,
      List<GenerationRequest> requests, List<int[]> outputs) {
    double tokensPerSecond() {
      return seconds > 0 ? generatedTokens / seconds : 0;
    }
  }

  private final Engine engine;
  private final RequestLine parser;
  private final int window;
  private final PrintStream progress;
  private final boolean keepOutputs;
  private final boolean harmonyFields;

  BatchRun(Engine engine, RequestLine parser, int window, PrintStream progress, boolean keepOutputs) {
    this(engine, parser, window, progress, keepOutputs, false);
  }

  /** @param harmonyFields add the parsed {@code final}, {@code analysis} and raw {@code text} to each record */
  BatchRun(Engine engine, RequestLine parser, int window, PrintStream progress, boolean keepOutputs, boolean harmonyFields) {
    this.harmonyFields = harmonyFields;
    this.engine = engine;
    this.parser = parser;
    this.window = Math.max(1, window);
    this.progress = progress;
    this.keepOutputs = keepOutputs;
  }

  Summary run(BufferedReader in, Writer out, int totalLines) throws IOException {
    long t0 = System.nanoTime();
    long generated0 = engine.stats().generatedTokens();
    Progress bar = progress == null ? null : new Progress("generate", totalLines, progress, Progress.onTerminal());
    Map<FinishReason, Integer> reasons = new EnumMap<>(FinishReason.class);
    List<GenerationRequest> ran = new ArrayList<>();
    List<int[]> outputs = new ArrayList<>();
    int done = 0;
    // Finished lines wait (up to 16 windows) until every line before them is written, so a long request at
    // the head does not starve the batch.
    try (InFlightWindow<RequestLine.Parsed> w = new InFlightWindow<>(lines(in), BatchRun::prepare, engine, window,
        16 * window, harmonyFields)) {
      while (w.hasNext()) {
        InFlightWindow.Done<RequestLine.Parsed> d = w.next();
        Answer a = d.answer();
        out.write(ResultRecord.line(d.row(), d.request(), a, harmonyFields));
        out.write('\n');
        reasons.merge(FinishReason.valueOf(a.finishReason().toUpperCase(Locale.ROOT)), 1, Integer::sum);
        if (keepOutputs && d.request() != null && !a.finishReason().equals(FinishReason.ERROR.wireName())) {
          ran.add(d.request());
          outputs.add(a.outputIds());
        }
        done++;
        if (bar != null) bar.update(done, engine.stats().generatedTokens() - generated0);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    out.flush();
    double seconds = (System.nanoTime() - t0) / 1e9;
    long generated = engine.stats().generatedTokens() - generated0;
    if (bar != null) bar.finish(done, generated);
    return new Summary(done, reasons, generated, seconds, ran, outputs);
  }

  private static InFlightWindow.Prepared prepare(RequestLine.Parsed p) {
    return p.request() == null ? InFlightWindow.Prepared.bad(p.error(), 0) : InFlightWindow.Prepared.of(p.request(), p.where());
  }

  /** The input's lines, parsed as they are read. */
  private Iterator<RequestLine.Parsed> lines(BufferedReader in) {
    return new Iterator<>() {
      private String next = read();
      private long lineNo;

      private String read() {
        try {
          return in.readLine();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public RequestLine.Parsed next() {
        if (next == null) throw new NoSuchElementException();
        RequestLine.Parsed p = parser.parse(next, ++lineNo);
        next = read();
        return p;
      }
    };
  }
}
