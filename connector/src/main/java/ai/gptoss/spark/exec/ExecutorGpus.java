package ai.gptoss.spark.exec;

import ai.gptoss.backend.parallel.RankPlacement;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.spark.GptossConf;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * The GPUs of an executor, and which of them one engine spans when {@code tensor_parallel_size} N is above 1: the
 * executor's GPUs, in Spark's order, form groups of N consecutive addresses, and a task's engine spans the group
 * holding the GPU Spark assigned the task (any task GPU of the group: every task of the group streams into that one
 * engine). An executor owning 2N GPUs thus hosts two N-GPU engines; GPUs beyond a multiple of N stay idle (their
 * tasks use the last group). Fewer than N GPUs is an error naming the setting and the GPUs, never fewer ranks. Pure:
 * the addresses come in, so tests choose them.
 *
 * @param addresses the executor's GPU addresses (CUDA device numbers), in Spark's order
 * @param source where they were read, for the log line that starts the engine and for errors
 */
record ExecutorGpus(List<String> addresses, String source) {
  static final String PLUGIN = "the executor's GPUs (spark.executor.resource.gpu.amount, read by GptossPlugin)";
  static final String TASK = "the task's GPUs (spark.task.resource.gpu.amount; the executor's others are not known "
      + "without spark.plugins=ai.gptoss.spark.GptossPlugin)";
  static final String VISIBLE = "the CUDA devices this executor sees (Spark assigned the task no GPU)";

  ExecutorGpus {
    addresses = List.copyOf(addresses);
  }

  /**
   * The executor's GPUs from the best source there is: the executor's GPU resources when {@link
   * ai.gptoss.spark.GptossPlugin} recorded them, else the GPUs Spark assigned the task, else (no GPU scheduling) the
   * CUDA devices this JVM sees; null when all are empty.
   *
   * @param plugin the executor's GPU addresses as the plugin read them at executor start (empty without it)
   * @param task the task's GPU addresses
   * @param visible how many CUDA devices this JVM sees (asked only when both lists are empty)
   */
  static ExecutorGpus of(List<String> plugin, List<String> task, IntSupplier visible) {
    if (!plugin.isEmpty()) return new ExecutorGpus(plugin, PLUGIN);
    if (!task.isEmpty()) return new ExecutorGpus(task, TASK);
    List<String> seen = new ArrayList<>();
    for (int i = 0, n = visible.getAsInt(); i < n; i++) seen.add(String.valueOf(i));
    return seen.isEmpty() ? null : new ExecutorGpus(seen, VISIBLE);
  }

  /**
   * The device of the engine spanning {@code n} GPUs for a task: {@code cuda:A,B,...}, the group of N holding
   * {@code taskGpu} (without one, or when it is not among the addresses: group {@code partition mod groups}).
   *
   * @throws IllegalStateException when there are fewer than {@code n} GPUs, naming the setting and the GPUs
   */
  DeviceChoice span(int n, String taskGpu, int partition) {
    if (addresses.size() < n) {
      String fix = source.equals(TASK)
          ? "set spark.plugins=ai.gptoss.spark.GptossPlugin with spark.executor.resource.gpu.amount of at least " + n
              + ", or spark.task.resource.gpu.amount=" + n
          : "set spark.executor.resource.gpu.amount to at least " + n;
      throw new IllegalStateException("gptoss: " + GptossConf.TENSOR_PARALLEL_SIZE + "=" + n + " runs one engine over "
          + n + " GPUs, but " + source + " are " + addresses.size() + ": " + addresses + "; " + fix + ", or lower "
          + GptossConf.SESSION_PREFIX + GptossConf.TENSOR_PARALLEL_SIZE + " (docs/multi-gpu.md)");
    }
    int groups = addresses.size() / n;
    int index = taskGpu == null ? -1 : addresses.indexOf(taskGpu.trim());
    int g = index >= 0 ? Math.min(index / n, groups - 1) : Math.floorMod(partition, groups);
    List<String> mine = addresses.subList(g * n, g * n + n);
    List<Integer> ordinals = new ArrayList<>();
    for (String a : mine) ordinals.add(DeviceChoice.ordinal(a));
    String how = GptossConf.TENSOR_PARALLEL_SIZE + "=" + n + ": GPUs " + mine + ", group " + (g + 1) + " of " + groups
        + " of " + source + " " + addresses
        + (taskGpu == null ? " (partition " + partition + ")" : " (the task's GPU " + taskGpu + ")")
        + (addresses.size() % n == 0 ? "" : "; " + addresses.subList(groups * n, addresses.size()) + " idle");
    return new DeviceChoice(DeviceChoice.cuda(ordinals), how, null);
  }

  /**
   * The CUDA device numbers an engine with {@code s} runs on: none on the CPU, the listed GPUs of {@code cuda:A,B,...},
   * or for {@code cuda:K} the K..K+N-1 of its ranks ({@link RankPlacement}).
   */
  static Set<Integer> ordinals(EngineSettings s) {
    return new LinkedHashSet<>(rankGpus(s));
  }

  /** The CUDA device number of each rank of an engine with {@code s}, by rank (empty on the CPU). */
  static List<Integer> rankGpus(EngineSettings s) {
    if (!s.onGpu()) return List.of();
    return RankPlacement.of(s.device(), s.parallel(), Integer.MAX_VALUE).devices();
  }
}
