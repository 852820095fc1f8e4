package ai.gptoss.backend.cuda;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Decode steps replayed as CUDA graphs. A step enqueues ~25 kernels per layer plus cuBLAS calls
 * (~600 launches at gpt-oss-20b, ~3 us each from Java); one {@code cudaGraphLaunch} replaces them.
 *
 * <p>Only steps in which every sequence contributes exactly one token, at most
 * {@link #MAX_GRAPH_TOKENS} of them, are graphed: larger batches are dominated by GPU time and run
 * eagerly. A graph is valid for every step of the same {@link Key}: the metadata layout (which fixes
 * every grid, argument and section offset), the precise/fast mode and the generation of the device
 * buffers the launches point at (workspace, metadata buffer, KV pools; {@link #invalidate} when any
 * of them is reallocated). The step's metadata is copied into the same device buffer before each
 * replay, so the graph reads the new tokens, positions and page tables.
 *
 * <p>A key is captured the {@link #captureAfter}-th time it is seen (default the second: a one-off
 * batch size, common as requests finish, costs a capture and an instantiation it would not repay,
 * and the eager run first loads whatever cuBLAS kernels the shapes need). At most
 * {@link #MAX_GRAPHS} graphs are kept, least recently used evicted and destroyed. A capture that
 * fails (an operation not allowed under capture) leaves that key eager for good, said once on stderr.
 *
 * <p>Single-threaded, like the backend that owns it.
 *
 * @param <G> an executable graph ({@code CUgraphExec_st} on the GPU, anything in tests)
 */
final class DecodeGraphs<G> implements AutoCloseable {
  static final int MAX_GRAPHS = 32;
  static final int MAX_GRAPH_TOKENS = 1024;
  private static final int MAX_REMEMBERED_KEYS = 1024;

  /** Capture, replay and destruction of graphs: {@link CudaGraphs} on the GPU, a fake in tests. */
  interface Launcher<G> {
    /**
     * Records what {@code enqueue} puts on the stream, without running it, as an executable graph.
     * On failure the capture is ended and discarded before {@link CaptureFailed} is thrown.
     */
    G capture(Runnable enqueue) throws CaptureFailed;

    void launch(G graph);

    void destroy(G graph);
  }

  /** The stream could not be captured; nothing was enqueued and the stream is not capturing. */
  static final class CaptureFailed extends Exception {
    CaptureFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * What makes the enqueued work of two steps differ. {@code layout} is {@link StepMetadata#layout};
   * {@code buffers} the generation of the device buffers the launches address.
   */
  record Key(int[] layout, boolean precise, long buffers) {
    /** The key of a step that may be graphed, or null for one that runs eagerly. */
    static Key of(StepMetadata md, boolean precise, long buffers) {
      if (!md.decodeOnly() || md.numTokens > MAX_GRAPH_TOKENS) return null;
      return new Key(md.layout(), precise, buffers);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && precise == k.precise && buffers == k.buffers && Arrays.equals(layout, k.layout);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * Arrays.hashCode(layout) + Boolean.hashCode(precise)) + Long.hashCode(buffers);
    }

    @Override
    public String toString() {
      return "Key" + Arrays.toString(layout) + (precise ? " precise" : " fast") + " buffers " + buffers;
    }
  }

  /** Counts since creation: steps replayed, graphs captured, captures failed, steps run eagerly. */
  record Stats(long replays, long captures, long failures, long eager, int cached) {}

  private final Launcher<G> launcher;
  private final Consumer<String> warn;
  private final LinkedHashMap<Key, G> graphs = new LinkedHashMap<>(16, 0.75f, true);
  private final LinkedHashMap<Key, Integer> sightings = new LinkedHashMap<>(16, 0.75f, true);
  private final Set<Key> failed = new HashSet<>();
  private boolean enabled;
  private int captureAfter = 2;
  private boolean warned;
  private long replays, captures, failures, eager;

  DecodeGraphs(Launcher<G> launcher, boolean enabled, Consumer<String> warn) {
    this.launcher = launcher;
    this.enabled = enabled;
    this.warn = warn;
  }

  /**
   * Graphs are on unless {@code GPTOSS_CUDA_GRAPHS=0}, and off while the profiler
   * ({@code GPTOSS_PROFILE}) records events around each kernel family.
   */
  static boolean enabledByEnvironment(String graphsEnv, String profileEnv) {
    return !"0".equals(graphsEnv == null ? null : graphsEnv.trim()) && profileEnv == null;
  }

  boolean enabled() {
    return enabled;
  }

  /** Turns graphs on or off (checks that compare both); the cached graphs stay. */
  void enabled(boolean on) {
    enabled = on;
  }

  /** Captures a key on its {@code n}-th sighting ({@code n >= 1}). */
  void captureAfter(int n) {
    if (n < 1) throw new IllegalArgumentException("captureAfter " + n);
    captureAfter = n;
  }

  /**
   * Runs one step's device work: replays the graph of {@code key}, or captures one and launches it,
   * or calls {@code enqueue} (graphs off, a null key, an early sighting, a key whose capture failed).
   */
  void run(Key key, Runnable enqueue) {
    if (!enabled || key == null || failed.contains(key)) {
      runEagerly(enqueue);
      return;
    }
    G g = graphs.get(key);
    if (g != null) {
      launcher.launch(g);
      replays++;
      return;
    }
    int seen = sightings.merge(key, 1, Integer::sum);
    if (sightings.size() > MAX_REMEMBERED_KEYS) removeEldest(sightings);
    if (seen < captureAfter) {
      runEagerly(enqueue);
      return;
    }
    try {
      g = launcher.capture(enqueue);
    } catch (CaptureFailed e) {
      failures++;
      sightings.remove(key);
      if (failed.size() < MAX_REMEMBERED_KEYS) failed.add(key);
      if (!warned) {
        warned = true;
        warn.accept("gptoss: CUDA graph capture failed, decode steps of this shape run without graphs: " + e.getMessage());
      }
      runEagerly(enqueue);
      return;
    }
    sightings.remove(key);
    captures++;
    graphs.put(key, g);
    if (graphs.size() > MAX_GRAPHS) launcher.destroy(removeEldest(graphs));
    launcher.launch(g);
  }

  private void runEagerly(Runnable enqueue) {
    eager++;
    enqueue.run();
  }

  private static <V> V removeEldest(LinkedHashMap<Key, V> map) {
    Iterator<Map.Entry<Key, V>> it = map.entrySet().iterator();
    V v = it.next().getValue();
    it.remove();
    return v;
  }

  /**
   * Destroys every graph: a buffer they address was reallocated. Failed keys stay failed (a capture
   * fails for the kind of work, not for the buffers).
   */
  void invalidate() {
    for (G g : graphs.values()) launcher.destroy(g);
    graphs.clear();
    sightings.clear();
  }

  Stats stats() {
    return new Stats(replays, captures, failures, eager, graphs.size());
  }

  @Override
  public void close() {
    invalidate();
    enabled = false;
  }
}
