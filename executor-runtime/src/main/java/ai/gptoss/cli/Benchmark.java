package ai.gptoss.cli;

import ai.gptoss.engine.Engine;
import ai.gptoss.engine.GenerationResult;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code generate --benchmark}: after a batch run, the same requests one at a time through the same
 * engine (each waits for the previous), so the two numbers differ only in batching.
 */
final class Benchmark {
  private Benchmark() {}

  static void oneAtATime(Engine engine, BatchRun.Summary batch, PrintStream err) {
    long t0 = System.nanoTime(), tokens = 0;
    int same = 0;
    for (int i = 0; i < batch.requests().size(); i++) {
      GenerationResult r = engine.submit(batch.requests().get(i)).result().join();
      tokens += r.completionTokens();
      if (Arrays.equals(r.outputIds(), batch.outputs().get(i))) same++;
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    double seq = secs > 0 ? tokens / secs : 0;
    err.printf(Locale.ROOT, "benchmark: batch %.1f tokens/s (%d tokens, %.2f s); one at a time %.1f tokens/s (%d tokens,"
        + " %.2f s); speedup %.2fx; %d/%d outputs identical%n", batch.tokensPerSecond(), batch.generatedTokens(),
        batch.seconds(), seq, tokens, secs, seq > 0 ? batch.tokensPerSecond() / seq : 0, same, batch.requests().size());
  }
}
