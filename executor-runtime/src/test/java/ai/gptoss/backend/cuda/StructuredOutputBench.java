package ai.gptoss.backend.cuda;

import ai.gptoss.backend.Backend;
import ai.gptoss.backend.KvCacheSpec;
import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.StepBatch;
import ai.gptoss.backend.StepBudget;
import ai.gptoss.backend.StepResult;
import ai.gptoss.backend.TokenMask;
import ai.gptoss.harmony.Harmony;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.model.EmbeddedModel;
import ai.gptoss.structured.AnswerConstraint;
import ai.gptoss.structured.ResponseFormat;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Structured output's cost on the decode step (issue 20): {@code StructuredOutputBench DEVICE MODEL ROWS STEPS},
 * e.g. {@code cuda synthetic:gpt-oss-20b 1024 128}. ROWS prompts that end at the start of the final
 * channel's message ({@code <|channel|>final<|message|>}), so every generated token is constrained, by
 * an array-of-strings schema whose answers can run long (a row whose array closes starts a new one);
 * greedy, one decode step of all ROWS per token. Four passes over fresh sequences in one process:
 * unconstrained, constrained, unconstrained, constrained. Reports per mode the median and mean decode
 * step (backend wall time, mask uploads included), output tok/s (ROWS per step, over step time plus
 * the host's mask time), and for the constrained passes the host's per-step time to advance every
 * row's automaton and look up its mask (computing it on a cache miss). Prints {@code BENCH} lines and
 * {@code RATIO masked/unmasked step = x}; exits 1 if a sampled token broke a mask.
 */
public final class StructuredOutputBench {
  static final String SCHEMA = "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}";
  static final int PAGE = 16;

  /** One pass's figures. */
  record Pass(boolean masked, double[] stepMs, double[] hostMs, long tokens) {
    double median() {
      double[] s = stepMs.clone();
      Arrays.sort(s);
      return s[s.length / 2];
    }

    double mean(double[] v) {
      return Arrays.stream(v).average().orElse(Double.NaN);
    }

    double tokensPerSecond() {
      double secs = (Arrays.stream(stepMs).sum() + Arrays.stream(hostMs).sum()) / 1e3;
      return tokens / secs;
    }
  }

  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: StructuredOutputBench cpu|cuda MODEL(synthetic:NAME|tiny-qa|DIR) ROWS STEPS");
      System.exit(2);
    }
    Path model = args[1].equals("tiny-qa") ? EmbeddedModel.path() : Paths.get(args[1]);
    int rows = Integer.parseInt(args[2]), steps = Integer.parseInt(args[3]);
    List<Pass> passes;
    try (Backend b = ai.gptoss.engine.EngineSettings.fromEnvironment(model.toString(), args[0]).open(model)) {
      passes = run(b, rows, steps, 4);
    }
    report(args[1] + " on " + args[0], rows, passes);
  }

  static void report(String what, int rows, List<Pass> passes) {
    double[] med = new double[2], tps = new double[2], host = new double[2];
    int[] n = new int[2];
    for (Pass p : passes) {
      int m = p.masked() ? 1 : 0;
      System.out.printf(Locale.ROOT, "BENCH structured %s rows %d %s: decode step median %.2f ms mean %.2f ms, host mask time mean %.3f ms,"
          + " output %.0f tok/s%n", what, rows, p.masked() ? "constrained" : "unconstrained", p.median(), p.mean(p.stepMs()),
          p.mean(p.hostMs()), p.tokensPerSecond());
      med[m] += p.median();
      tps[m] += p.tokensPerSecond();
      host[m] += p.mean(p.hostMs());
      n[m]++;
    }
    for (int m = 0; m < 2; m++) {
      med[m] /= n[m];
      tps[m] /= n[m];
      host[m] /= n[m];
    }
    System.out.printf(Locale.ROOT, "BENCH structured %s rows %d summary: unconstrained step %.2f ms (%.0f tok/s), constrained step %.2f ms"
        + " (%.0f tok/s); per step: applying masks (step difference) %.3f ms, computing masks (host) %.3f ms%n",
        what, rows, med[0], tps[0], med[1], tps[1], med[1] - med[0], host[1]);
    System.out.printf(Locale.ROOT, "RATIO masked/unmasked step = %.3f (with host mask time %.3f)%n", med[1] / med[0], (med[1] + host[1]) / med[0]);
  }

  /** {@code passes} passes of ROWS x STEPS decode steps, alternating unconstrained and constrained. */
  static List<Pass> run(Backend b, int rows, int steps, int passes) {
    ResponseFormat fmt = ResponseFormat.parse(SCHEMA);
    int vocab = b.config().vocabSize();
    int[] header = HarmonyTokenizer.get().encodeWithSpecialTokens("<|channel|>final<|message|>");
    int[][] prompts = new int[rows][];
    int maxPrompt = 0;
    for (int r = 0; r < rows; r++) {
      int[] p = Harmony.prompt("Name " + (r % 50 + 2) + " cities, as a JSON array of strings.");
      prompts[r] = Arrays.copyOf(p, p.length + header.length);
      System.arraycopy(header, 0, prompts[r], p.length, header.length);
      maxPrompt = Math.max(maxPrompt, prompts[r].length);
    }
    int pagesPerSeq = (maxPrompt + steps + 1 + PAGE - 1) / PAGE;
    int prefillTokens = 8192;
    long need = (long) rows * pagesPerSeq * (b.kvPageBytes(PAGE, false) + b.kvPageBytes(PAGE, true));
    long budget = b.kvMemoryBudgetBytes(new StepBudget(Math.max(prefillTokens, rows), rows));
    if (need > budget) throw new IllegalArgumentException("KV for " + rows + " rows x " + pagesPerSeq + " pages needs " + (need >> 20)
        + " MiB, the budget is " + (budget >> 20) + " MiB");
    b.allocateKvCache(new KvCacheSpec(PAGE, rows * pagesPerSeq, rows * pagesPerSeq));
    int[][] pages = new int[rows][pagesPerSeq];
    for (int r = 0; r < rows; r++) for (int j = 0; j < pagesPerSeq; j++) pages[r][j] = r * pagesPerSeq + j;
    List<Pass> out = new ArrayList<>();
    for (int pass = 0; pass < passes; pass++) out.add(pass(b, fmt, vocab, prompts, pages, steps, pass % 2 == 1, prefillTokens));
    return out;
  }

  private static Pass pass(Backend b, ResponseFormat fmt, int vocab, int[][] prompts, int[][] pages, int steps, boolean masked,
      int prefillTokens) {
    int rows = prompts.length;
    AnswerConstraint[] cons = new AnswerConstraint[rows];
    if (masked) for (int r = 0; r < rows; r++) cons[r] = AnswerConstraint.start(fmt, prompts[r], vocab);
    int[] last = new int[rows];
    int[] len = new int[rows];
    // prefill, whole prompts, up to prefillTokens per step; each prompt's last token samples
    for (int r0 = 0; r0 < rows; ) {
      int r1 = r0, t = 0;
      while (r1 < rows && (r1 == r0 || t + prompts[r1].length <= prefillTokens)) t += prompts[r1++].length;
      int n = r1 - r0;
      int[] tokens = new int[t], positions = new int[t], seqStart = new int[n + 1], outRows = new int[n];
      int[][] tables = new int[n][];
      int k = 0;
      for (int i = 0; i < n; i++) {
        int[] p = prompts[r0 + i];
        seqStart[i] = k;
        for (int j = 0; j < p.length; j++, k++) {
          tokens[k] = p[j];
          positions[k] = j;
        }
        outRows[i] = k - 1;
        tables[i] = Arrays.copyOf(pages[r0 + i], (p.length + PAGE - 1) / PAGE);
      }
      seqStart[n] = k;
      TokenMask[] m = masks(cons, r0, n);
      StepResult res = b.step(new StepBatch(tokens, positions, seqStart, tables, tables, outRows, greedy(n), false, m));
      for (int i = 0; i < n; i++) {
        last[r0 + i] = res.sampled()[i];
        len[r0 + i] = prompts[r0 + i].length;
      }
      r0 = r1;
    }
    double[] stepMs = new double[steps], hostMs = new double[steps];
    for (int s = 0; s < steps; s++) {
      long h0 = System.nanoTime();
      TokenMask[] m = null;
      if (masked) {
        for (int r = 0; r < rows; r++) {
          cons[r].accept(last[r]);
          if (cons[r].violation() != null) throw new AssertionError("row " + r + ": " + cons[r].violation());
          if (cons[r].mask() == null) cons[r] = AnswerConstraint.start(fmt, prompts[r], vocab); // the array closed: a new one
        }
        m = masks(cons, 0, rows);
      }
      long h1 = System.nanoTime();
      int[] tokens = new int[rows], positions = new int[rows], seqStart = new int[rows + 1], outRows = new int[rows];
      int[][] tables = new int[rows][];
      for (int r = 0; r < rows; r++) {
        tokens[r] = last[r];
        positions[r] = len[r];
        seqStart[r] = r;
        outRows[r] = r;
        tables[r] = Arrays.copyOf(pages[r], len[r] / PAGE + 1);
      }
      seqStart[rows] = rows;
      long s0 = System.nanoTime();
      StepResult res = b.step(new StepBatch(tokens, positions, seqStart, tables, tables, outRows, greedy(rows), false, m));
      long s1 = System.nanoTime();
      for (int r = 0; r < rows; r++) {
        last[r] = res.sampled()[r];
        len[r]++;
      }
      stepMs[s] = (s1 - s0) / 1e6;
      hostMs[s] = (h1 - h0) / 1e6;
    }
    if (masked) for (int r = 0; r < rows; r++) cons[r].accept(last[r]);
    for (int r = 0; masked && r < rows; r++) if (cons[r].violation() != null) throw new AssertionError("row " + r + ": " + cons[r].violation());
    return new Pass(masked, stepMs, hostMs, (long) rows * steps);
  }

  private static TokenMask[] masks(AnswerConstraint[] cons, int from, int n) {
    if (cons[from] == null) return null;
    TokenMask[] m = new TokenMask[n];
    for (int i = 0; i < n; i++) m[i] = cons[from + i].mask();
    return m;
  }

  private static SamplingParams[] greedy(int n) {
    SamplingParams[] sp = new SamplingParams[n];
    Arrays.fill(sp, SamplingParams.greedy());
    return sp;
  }
}
