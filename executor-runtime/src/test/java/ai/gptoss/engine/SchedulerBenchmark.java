package ai.gptoss.engine;

import ai.gptoss.backend.StepResult;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Host time the engine spends per decode step on its own bookkeeping: {@link Scheduler#schedule} (plan,
 * page growth, the backend's batch with page-table snapshots) and {@link Scheduler#update} (append the
 * sampled ids, release sliding pages) for {@code seqs} sequences that all decode, gpt-oss shapes (window
 * 128, 16-token pages), no backend. The GPU waits for this between steps. Run: {@code scripts/jmh.sh}.
 *
 * <p>Each iteration is {@link #STEPS} decode steps from fresh sequences (so contexts stay within
 * promptLen + 1,000 and the pools never run out); the score, in milliseconds per iteration, reads as
 * microseconds per step.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10, batchSize = SchedulerBenchmark.STEPS)
@Measurement(iterations = 20, batchSize = SchedulerBenchmark.STEPS)
@Fork(1)
public class SchedulerBenchmark {
  static final int STEPS = 1000;
  @Param({"1", "1024"})
  int seqs;

  @Param({"1024"})
  int promptLen;

  private Scheduler scheduler;
  private int[] sampled;

  /** A fresh scheduler per iteration, its sequences past their prompts, so contexts stay near promptLen. */
  @Setup(Level.Iteration)
  public void setUp() {
    int maxLen = promptLen + 2 * STEPS;
    EngineConfig cfg = new EngineConfig(16, 16384, seqs, 16384, seqs * (maxLen / 16 + 1), seqs * 12 + 2048, maxLen, true);
    scheduler = new Scheduler(cfg, 128);
    for (int i = 0; i < seqs; i++) {
      int[] prompt = new int[promptLen];
      for (int j = 0; j < promptLen; j++) prompt[j] = (i + j) % 1000;
      scheduler.add(new Sequence(GenerationRequest.greedy("s" + i, prompt, Integer.MAX_VALUE, List.of()), i, prompt, maxLen, () -> {}));
    }
    sampled = new int[seqs];
    while (true) { // prefill until every sequence decodes
      ScheduledStep step = scheduler.schedule();
      scheduler.update(step, new StepResult(new int[step.batch().outputRows().length], null));
      if (step.batch().numTokens() == seqs && step.seqs().size() == seqs) break;
    }
  }

  @Benchmark
  public ScheduledStep decodeStep() {
    ScheduledStep step = scheduler.schedule();
    scheduler.update(step, new StepResult(sampled, null));
    return step;
  }
}
