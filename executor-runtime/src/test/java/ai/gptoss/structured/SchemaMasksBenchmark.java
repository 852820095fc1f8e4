package ai.gptoss.structured;

import ai.gptoss.backend.TokenMask;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.harmony.HarmonyTokens;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Host cost of structured output (issue 20), o200k_harmony vocabulary. {@code computeMask*}: one mask
 * computed from scratch by walking the vocabulary trie (what a cache miss costs: inside a string most
 * of the 200k tokens are allowed and most of the trie is walked; after a comma few are). {@code step}:
 * the engine's per-step work for {@code rows} constrained rows once masks are cached: advance every
 * row's automaton over its sampled token and look up its next mask (array-of-strings schema, each row
 * replaying a valid random decode). Run: {@code scripts/jmh.sh SchemaMasksBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SchemaMasksBenchmark {
  static final String SCHEMA = "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}";
  static final int DECODE = 4096;

  @Param({"1024"})
  int rows;

  private SchemaMasks masks;
  private int inString, afterComma;
  private int[] decode; // a valid token sequence under the schema, ending with <|return|>
  private AnswerConstraint[] cons;
  private int[] at;
  private int[] header;

  @Setup
  public void setUp() {
    ResponseFormat f = ResponseFormat.parse(SCHEMA);
    masks = SchemaMasks.of(f, HarmonyTokens.VOCAB_SIZE);
    inString = state("[\"abc");
    afterComma = state("[\"abc\",");
    Random rnd = new Random(1);
    decode = new int[DECODE];
    int s = masks.start();
    int n = 0;
    while (n < DECODE - 1) {
      int t = SchemaMasksTest.pick(masks.mask(s), rnd);
      if (t == HarmonyTokens.RETURN) break;
      decode[n++] = t;
      s = masks.advance(s, t);
    }
    decode = java.util.Arrays.copyOf(decode, n);
    header = HarmonyTokenizer.get().encodeWithSpecialTokens("<|start|>assistant<|channel|>final<|message|>");
    cons = new AnswerConstraint[rows];
    at = new int[rows];
    for (int r = 0; r < rows; r++) {
      cons[r] = AnswerConstraint.start(f, header, HarmonyTokens.VOCAB_SIZE);
      for (int i = 0; i < r % decode.length; i++) cons[r].accept(decode[i]);
      at[r] = r % decode.length;
    }
  }

  private int state(String text) {
    int s = masks.start();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int[] id = HarmonyTokenizer.get().encode(new String(new byte[] {b}, StandardCharsets.US_ASCII));
      s = masks.advance(s, id[0]);
    }
    return s;
  }

  @Benchmark
  public TokenMask computeMaskInString() {
    return masks.compute(inString);
  }

  @Benchmark
  public TokenMask computeMaskAfterComma() {
    return masks.compute(afterComma);
  }

  @Benchmark
  public int step() {
    int allowed = 0;
    for (int r = 0; r < rows; r++) {
      if (at[r] == decode.length) {
        cons[r] = AnswerConstraint.start(ResponseFormat.parse(SCHEMA), header, HarmonyTokens.VOCAB_SIZE);
        at[r] = 0;
      }
      cons[r].accept(decode[at[r]++]);
      allowed += cons[r].mask().allowedCount();
    }
    return allowed;
  }
}
