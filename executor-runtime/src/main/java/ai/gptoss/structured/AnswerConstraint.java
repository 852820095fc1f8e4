package ai.gptoss.structured;

import ai.gptoss.backend.TokenMask;
import ai.gptoss.harmony.HarmonyTokenizer;
import ai.gptoss.harmony.HarmonyTokens;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One request's constraint, token by token, over the harmony conversation it generates:
 *
 * <ol>
 *   <li>REASONING: until a message header {@code <|channel|>final...<|message|>} has been seen (in the
 *       prompt's tail or in generated tokens), the model writes freely (analysis, commentary), except
 *       that it may not stop ({@code <|return|>}, {@code <|call|>}): a request only ends with an answer
 *       or at its token limit.
 *   <li>ANSWER: the final message's tokens follow the schema's automaton; {@code <|return|>} is allowed
 *       once the JSON value is complete, and is then the only token allowed if nothing may follow.
 *   <li>DONE: after {@code <|return|>} (generation normally stops there), nothing is constrained.
 * </ol>
 *
 * <p>Not thread-safe: the engine loop owns it, calling {@link #mask()} before a step and {@link
 * #accept} with each sampled token.
 */
public final class AnswerConstraint {
  enum Phase { REASONING, ANSWER, DONE }

  /** Longest header (tokens between {@code <|channel|>} and {@code <|message|>}) examined. */
  private static final int MAX_HEADER = 32;
  private static final ConcurrentHashMap<Integer, TokenMask> NO_STOP = new ConcurrentHashMap<>();

  private final SchemaMasks schema;
  private final int vocab;
  private Phase phase = Phase.REASONING;
  private int state = ByteDfa.DEAD;
  private int[] header = new int[MAX_HEADER];
  private int headerLen = -1; // -1: not inside a header's channel part
  private String violation;

  private AnswerConstraint(SchemaMasks schema, int vocab) {
    this.schema = schema;
    this.vocab = vocab;
  }

  /**
   * The constraint of a request with this format and prompt (the prompt may end inside the final
   * message's header or right after {@code <|channel|>final<|message|>}).
   *
   * @throws IllegalArgumentException when the format's grammar cannot be built
   */
  public static AnswerConstraint start(ResponseFormat format, int[] prompt, int vocab) {
    if (vocab != HarmonyTokens.VOCAB_SIZE) {
      throw new IllegalArgumentException("response_format needs a model with the o200k_harmony vocabulary ("
          + HarmonyTokens.VOCAB_SIZE + " tokens); this model has " + vocab);
    }
    AnswerConstraint c = new AnswerConstraint(SchemaMasks.of(format, vocab), vocab);
    int from = 0;
    for (int i = prompt.length - 1; i >= 0; i--) {
      if (prompt[i] == HarmonyTokens.START) {
        from = i;
        break;
      }
    }
    for (int i = from; i < prompt.length; i++) c.header(prompt[i]);
    return c;
  }

  /** The mask for the next token, or null when it is unconstrained. */
  public TokenMask mask() {
    return switch (phase) {
      case REASONING -> NO_STOP.computeIfAbsent(vocab, AnswerConstraint::noStop);
      case ANSWER -> schema.mask(state);
      case DONE -> null;
    };
  }

  /** Advances over a sampled token; a token the mask did not allow sets {@link #violation()}. */
  public void accept(int token) {
    switch (phase) {
      case REASONING -> {
        if (token == HarmonyTokens.RETURN || token == HarmonyTokens.CALL) {
          fail(token, "a stop token before the final answer");
        } else {
          header(token);
        }
      }
      case ANSWER -> {
        if (token == HarmonyTokens.RETURN && schema.accepting(state)) {
          phase = Phase.DONE;
          return;
        }
        int next = schema.advance(state, token);
        if (next == ByteDfa.DEAD) fail(token, "a token the schema's grammar does not allow here");
        else state = next;
      }
      case DONE -> { }
    }
  }

  private void fail(int token, String what) {
    if (violation == null) violation = "sampled token " + token + ", " + what + " (phase " + phase + ")";
    phase = Phase.DONE;
  }

  private void header(int token) {
    if (token == HarmonyTokens.START) {
      headerLen = -1;
    } else if (token == HarmonyTokens.CHANNEL) {
      headerLen = 0;
    } else if (token == HarmonyTokens.MESSAGE) {
      if (headerLen >= 0 && isFinal(Arrays.copyOf(header, headerLen))) {
        phase = Phase.ANSWER;
        state = schema.start();
      }
      headerLen = -1;
    } else if (headerLen >= 0) {
      if (headerLen == MAX_HEADER) headerLen = -1;
      else header[headerLen++] = token;
    }
  }

  private static boolean isFinal(int[] channelPart) {
    for (int t : channelPart) if (t < 0 || t >= HarmonyTokens.VOCAB_SIZE) return false;
    String text = new String(HarmonyTokenizer.get().decodeBytes(channelPart), StandardCharsets.UTF_8).strip();
    int cut = 0;
    while (cut < text.length() && !Character.isWhitespace(text.charAt(cut)) && text.charAt(cut) != '<') cut++;
    return text.substring(0, cut).equals("final");
  }

  private static TokenMask noStop(int vocab) {
    long[] bits = new long[TokenMask.words(vocab)];
    Arrays.fill(bits, -1L);
    if ((vocab & 63) != 0) bits[bits.length - 1] = (1L << (vocab & 63)) - 1;
    for (int t : new int[] {HarmonyTokens.RETURN, HarmonyTokens.CALL}) if (t < vocab) bits[t >>> 6] &= ~(1L << t);
    return new TokenMask(bits, vocab);
  }

  /** True while the final answer is being written under the schema. */
  public boolean inAnswer() {
    return phase == Phase.ANSWER;
  }

  /** True once the answer's JSON value is complete (it may still be followed by {@code <|return|>}). */
  public boolean answerComplete() {
    return phase == Phase.DONE && violation == null || phase == Phase.ANSWER && schema.accepting(state);
  }

  /** What went wrong, if a sampled token broke the constraint (a backend that ignored the mask); else null. */
  public String violation() {
    return violation;
  }

  public SchemaMasks schema() {
    return schema;
  }
}
