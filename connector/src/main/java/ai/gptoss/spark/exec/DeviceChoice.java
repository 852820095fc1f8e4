package ai.gptoss.spark.exec;

import ai.gptoss.backend.CudaAvailability;
import ai.gptoss.spark.GptossConf;
import java.util.List;
import java.util.Locale;

/**
 * Which device a task's engine runs on, from the {@code device} option, the GPU Spark assigned the task
 * and the GPUs this executor JVM sees:
 * <ul>
 *   <li>{@code auto}: the GPU Spark assigned the task; else, when the JVM sees CUDA devices (local mode, or a
 *       cluster without GPU scheduling), one of them, spread over the tasks by partition id (one engine per
 *       GPU); else the CPU, with a warning that says why and what it costs;
 *   <li>{@code cpu}: the CPU (with a warning when GPUs are there);
 *   <li>{@code cuda}: as {@code auto}, but no GPU is an error, never the CPU;
 *   <li>{@code cuda:N}: GPU N of those the JVM sees; an error when there is no such GPU;
 *   <li>{@code cuda:A,B,...}: one GPU per rank of an engine over several ({@code tensor_parallel_size}), as
 *       {@link ai.gptoss.backend.parallel.RankPlacement} places them; a GPU repeated puts several ranks on it (the
 *       partitioned forward pass checked on one GPU). Each must be a GPU the JVM sees.
 * </ul>
 * Pure: the machine's GPUs come in as a {@link CudaAvailability}, so tests choose them.
 *
 * @param device "cpu" or "cuda:N"
 * @param how why this device, for the log line that starts the engine
 * @param warning non-null when the engine runs on the CPU although it could or should not: says why and what it costs
 */
public record DeviceChoice(String device, String how, String warning) {
  static final String CPU = "cpu";
  static final String COST = "the pure-Java CPU backend is hundreds of times slower than a GPU";

  /** Parses the option as {@link ai.gptoss.spark.GptossOptions} accepts it; returns the normalized value or throws. */
  public static String parseOption(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("auto") || v.equals("cpu") || v.equals("cuda")) return v;
    List<Integer> gpus = listed(v);
    if (!gpus.isEmpty()) return cuda(gpus);
    throw new IllegalArgumentException("expected auto, cpu, cuda, cuda:N (N a GPU number) or cuda:A,B,... (one GPU per "
        + "rank of tensor_parallel_size)");
  }

  /** "cuda:N" for one GPU, "cuda:A,B,..." for several (one per rank). */
  static String cuda(List<Integer> gpus) {
    StringBuilder b = new StringBuilder("cuda:");
    for (int n : gpus) b.append(b.length() > 5 ? "," : "").append(n);
    return b.toString();
  }

  /** The GPU numbers {@code cuda:N} or {@code cuda:A,B,...} lists; empty for anything else (or a bad number). */
  public static List<Integer> listed(String device) {
    return ai.gptoss.backend.parallel.RankPlacement.listedGpus(device);
  }

  /**
   * @param option the resolved {@code device} option (auto, cpu, cuda, cuda:N)
   * @param assignedGpu the first GPU address Spark assigned the task, or null
   * @param partition the task's partition id (spreads tasks over visible GPUs)
   * @param gpus what this JVM sees
   */
  static DeviceChoice resolve(String option, String assignedGpu, int partition, CudaAvailability gpus) {
    String key = GptossConf.SESSION_PREFIX + GptossConf.DEVICE;
    if (option.equals(CPU)) {
      if (assignedGpu != null) {
        return new DeviceChoice(CPU, "device=cpu", key + "=cpu although Spark assigned this task GPU " + assignedGpu
            + ": " + COST + "; use device=auto to run on the GPU");
      }
      if (gpus.count() > 0) {
        return new DeviceChoice(CPU, "device=cpu", key + "=cpu although this executor sees " + gpus.describe() + ": "
            + COST + "; use device=auto to run on them");
      }
      return new DeviceChoice(CPU, "device=cpu", null);
    }
    if (option.startsWith("cuda:")) {
      int n = java.util.Collections.max(listed(option));
      if (gpus.count() == 0) {
        throw new IllegalStateException("device=" + option + " but this executor cannot use a GPU: " + gpus.describe()
            + "; set " + key + "=auto to fall back to the CPU");
      }
      if (n >= gpus.count()) {
        throw new IllegalStateException("device=" + option + " but this executor sees only " + gpus.describe()
            + " (cuda:0 to cuda:" + (gpus.count() - 1) + "; CUDA_VISIBLE_DEVICES renumbers them)");
      }
      return new DeviceChoice(option, "device=" + option, null);
    }
    if (assignedGpu != null) {
      return new DeviceChoice(cuda(assignedGpu), "GPU " + assignedGpu + " assigned by Spark", null);
    }
    if (gpus.count() > 0) {
      int n = Math.floorMod(partition, gpus.count());
      return new DeviceChoice("cuda:" + n, "device=" + option + ": no GPU assigned by Spark; visible GPU " + n + " of "
          + gpus.count() + " (partition " + partition + ")", null);
    }
    if (option.equals("cuda")) {
      throw new IllegalStateException("device=cuda but this executor cannot use a GPU: " + gpus.describe()
          + " and Spark assigned the task none; set " + key + "=auto to fall back to the CPU");
    }
    return new DeviceChoice(CPU, "device=auto: " + gpus.reason().text(), "the engine runs on the CPU: " + gpus.describe()
        + ", and Spark assigned the task no GPU; " + COST + ". Install the NVIDIA driver and CUDA 13 runtime, or "
        + "configure GPU scheduling (docs/gpus.md); set " + key + "=cpu to silence this warning");
  }

  /** "cuda:N" for a Spark GPU address, which must be a CUDA device number. */
  static String cuda(String address) {
    return "cuda:" + ordinal(address);
  }

  /** The CUDA device number a Spark GPU address names; an error naming the address and the discovery script otherwise. */
  static int ordinal(String address) {
    String a = address.trim();
    try {
      int n = Integer.parseInt(a);
      if (n >= 0) return n;
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalStateException("Spark assigned GPU address '" + address + "', expected a CUDA device number "
        + "(check spark.executor.resource.gpu.discoveryScript; the project's scripts/gpu-discovery.sh prints them)");
  }
}
