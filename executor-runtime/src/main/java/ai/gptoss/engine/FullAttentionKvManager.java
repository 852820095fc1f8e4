package ai.gptoss.engine;

/** Full-attention layers: every token attends to every earlier one, so a sequence keeps all its pages. */
final class FullAttentionKvManager extends KvManager {
  FullAttentionKvManager(PagePool pool, int pageSize) {
    super(pool, pageSize);
  }

  @Override
  void afterStep(PageTable table, int nextPos) {
    // Nothing falls out of view.
  }
}
