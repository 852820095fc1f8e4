package ai.gptoss.backend;

/**
 * @param sampled [outputRows] the token sampled at each output row
 * @param logits [outputRows][vocab] the raw logits, or null unless the batch asked for them
 */
public record StepResult(int[] sampled, float[][] logits) {}
