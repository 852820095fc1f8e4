package ai.gptoss.cli;

import ai.gptoss.model.ModelConfig;

/** Input checks shared by the commands, with messages that name the offending value. */
final class CliChecks {
  private CliChecks() {}

  static void checkIds(int[] ids, ModelConfig c) {
    for (int id : ids) {
      if (id >= c.vocabSize()) {
        throw new IllegalArgumentException("--input-ids: token id " + id + " is outside the model's vocabulary (vocab_size "
            + c.vocabSize() + ")");
      }
    }
  }
}
