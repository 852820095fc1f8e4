package ai.gptoss.engine;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.structured.AnswerConstraint;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * The engine's state of one request. As in vLLM, the scheduler only knows how many of the
 * sequence's tokens (prompt followed by what was generated) have their KV computed; a prefill and a
 * decode are the same thing with different counts, and a preempted sequence simply drops back to
 * zero computed tokens and recomputes.
 *
 * <p>Owned by the engine loop thread, except {@link #cancelRequested} and {@link #result}, which the
 * caller's threads may touch.
 */
final class Sequence implements RequestHandle {
  enum Status {
    WAITING,
    RUNNING,
    FINISHED
  }

  final GenerationRequest request;
  final long seqNo; // submission order
  final int promptLen;
  final int maxLength; // stop with LENGTH when the sequence holds this many tokens
  final SamplingParams sampling;
  /** The request's response-format constraint, advanced with every generated token; null if none. */
  final AnswerConstraint constraint;
  final PageTable fullPages = new PageTable();
  final PageTable slidingPages = new PageTable();
  private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
  private final Runnable onCancel;
  volatile boolean cancelRequested;

  private int[] tokens;
  private int length; // tokens known: prompt + generated
  int numComputed; // tokens whose KV is in the cache
  int planned; // tokens planned for the step being scheduled (Scheduler); 0 outside schedule()
  Status status = Status.WAITING;
  int preemptions;
  int cachedTokens = -1; // prompt tokens served from the prefix cache at first admission; -1 before it
  int registeredPages; // leading pages already offered to the prefix cache
  PageKey deferredOn; // while waiting: the page another sequence is computing that this one waits for (InFlightPrefixes)
  private PageKey[] pageKeys = new PageKey[0];
  private int keyed; // pageKeys[0 .. keyed) are computed

  final long submitNanos;
  long firstScheduledNanos;
  long firstTokenNanos;

  Sequence(GenerationRequest request, long seqNo, int[] prompt, int maxLength, Runnable onCancel) {
    this(request, seqNo, prompt, maxLength, onCancel, null);
  }

  Sequence(GenerationRequest request, long seqNo, int[] prompt, int maxLength, Runnable onCancel, AnswerConstraint constraint) {
    this.constraint = constraint;
    this.request = request;
    this.seqNo = seqNo;
    this.promptLen = prompt.length;
    this.maxLength = maxLength;
    this.onCancel = onCancel;
    this.sampling = request.sampling(); // the scheduler sets the counter per generated token
    this.tokens = Arrays.copyOf(prompt, (int) Math.min(maxLength, prompt.length + (long) Math.min(request.maxNewTokens(), 1024)));
    this.length = prompt.length;
    this.submitNanos = System.nanoTime();
  }

  int length() {
    return length;
  }

  int token(int i) {
    return tokens[i];
  }

  int generated() {
    return length - promptLen;
  }

  void append(int id) {
    if (length == tokens.length) tokens = Arrays.copyOf(tokens, Math.min(maxLength, tokens.length * 2));
    tokens[length++] = id;
  }

  int[] outputIds() {
    return Arrays.copyOfRange(tokens, promptLen, length);
  }

  /** Content key of logical page {@code j} (tokens {@code [j*pageSize, (j+1)*pageSize)}, all known). */
  PageKey pageKey(int j, int pageSize) {
    if ((j + 1) * (long) pageSize > length) throw new IllegalStateException(this + ": page " + j + " is not full");
    if (j >= pageKeys.length) pageKeys = Arrays.copyOf(pageKeys, Math.max(j + 1, pageKeys.length * 2));
    for (; keyed <= j; keyed++) {
      pageKeys[keyed] = PageKey.of(keyed == 0 ? null : pageKeys[keyed - 1], tokens, keyed * pageSize, pageSize);
    }
    return pageKeys[j];
  }

  /** Tokens still to compute before the next one can be sampled. */
  int remaining() {
    return length - numComputed;
  }

  @Override
  public CompletableFuture<GenerationResult> result() {
    return result;
  }

  @Override
  public void cancel() {
    if (result.isDone() || cancelRequested) return;
    cancelRequested = true;
    onCancel.run();
  }

  String id() {
    return request.id();
  }

  /** Completes the caller's future; called by the engine loop after the pages are released. */
  void complete(FinishReason reason, String error) {
    status = Status.FINISHED;
    long now = System.nanoTime();
    int[] out = outputIds();
    result.complete(new GenerationResult(request.id(), out, reason, promptLen, out.length,
        Math.max(0, cachedTokens), error,
        firstScheduledNanos == 0 ? now - submitNanos : firstScheduledNanos - submitNanos,
        firstTokenNanos == 0 ? 0 : firstTokenNanos - submitNanos, now - submitNanos));
  }

  @Override
  public String toString() {
    return "seq " + seqNo + " (" + request.id() + ", " + numComputed + "/" + length + " computed)";
  }
}
