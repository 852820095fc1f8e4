package ai.gptoss.engine;

import ai.gptoss.backend.StepBatch;
import java.util.List;

/**
 * The scheduler's plan for one step: what the backend computes ({@link #batch}) and whose tokens
 * those are. The backend executes the batch and decides nothing; the scheduler then reads the
 * sampled ids back through {@link #rowSeqs}.
 *
 * @param batch the backend's input
 * @param seqs the sequences in the batch, in batch order
 * @param counts [seqs] tokens each sequence computes in this step
 * @param rowSeqs [batch.outputRows] the sequence that samples at each output row
 * @param preempted sequences preempted while planning this step (their pages are already free)
 */
record ScheduledStep(StepBatch batch, List<Sequence> seqs, int[] counts, List<Sequence> rowSeqs, int preempted) {
  boolean isEmpty() {
    return seqs.isEmpty();
  }
}
