package ai.gptoss.cli;

import ai.gptoss.model.ModelConfig;

/** Input checks shared by the commands, with messages that name the offending value. */
final class CliChecks {
  private CliChecks() {}

  static void checkIds(int[] ids, ModelConfig c) {
    if (ids.length == 0) throw new IllegalArgumentException("--input-ids: give at least one token id, e.g. 1,2,3");
    for (int id : ids) {
      if (id < 0 || id >= c.vocabSize()) {
        throw new IllegalArgumentException("--input-ids: token id " + id + " is outside the model's vocabulary (vocab_size "
            + c.vocabSize() + ")");
      }
    }
  }
}
