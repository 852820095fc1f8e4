package ai.gptoss.spark.exec;

import ai.gptoss.backend.CudaAvailability;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.util.TaskCompletionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor JVM's resident engines, one per device ({@link EngineRegistry}), created by the first task that
 * needs one and shared by every task and stage of the executor whose settings match, until the executor stops
 * ({@link ai.gptoss.spark.GptossPlugin}, or a JVM shutdown hook when the plugin is not configured). A task leases its engine until
 * it completes.
 *
 * <p>The device is the GPU Spark assigned the task ({@code TaskContext.resources().get("gpu")}, with
 * {@code spark.executor.resource.gpu.amount} and {@code spark.task.resource.gpu.amount} set), else one of the
 * GPUs this JVM sees, else the CPU ({@link DeviceChoice}). With {@code tensor_parallel_size} N above 1 (device
 * {@code auto} or {@code cuda}) it is N of the executor's GPUs, {@code cuda:A,B,...}, shared by every task whose GPU
 * is among them ({@link ExecutorGpus}).
 * Executor-side only: nothing here is serialized.
 */
public final class ExecutorEngines {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngines.class);
  private static final Object LOCK = new Object();
  private static final AtomicBoolean WARNED = new AtomicBoolean();
  private static volatile CudaAvailability gpus;
  private static volatile EngineRegistry registry = new EngineRegistry(ExecutorEngines::load, ExecutorEngines::checkDevice);
  private static boolean hookInstalled;
  /** The executor's GPU addresses, as {@link ai.gptoss.spark.GptossPlugin} read them at executor start. */
  private static volatile List<String> executorGpus = List.of();

  private ExecutorEngines() {}

  /**
   * The engine for {@code options} on the current task's device, started on first use and leased to the task until
   * it completes (see {@link EngineRegistry} for when a task waits or fails instead).
   */
  public static ExecutorEngine get(GptossOptions options) {
    TaskContext ctx = TaskContext.get();
    DeviceChoice choice = device(options, ctx);
    EngineSettings key = EngineIdentity.of(options, choice.device());
    installShutdownHook();
    EngineRegistry r = registry;
    long task = ctx == null ? EngineRegistry.NO_TASK : ctx.taskAttemptId();
    ExecutorEngine e = r.acquire(key, choice.how(), task, options.engineSwitchFail(),
        ctx == null ? () -> {} : ctx::killTaskIfInterrupted);
    if (ctx != null) ctx.addTaskCompletionListener((TaskCompletionListener) c -> r.release(key.device(), task));
    return e;
  }

  /**
   * The task's device (see {@link DeviceChoice}): the first GPU address Spark assigned the task, else a GPU this JVM
   * sees, else the CPU; logs the CPU fallback's warning once per JVM.
   */
  static DeviceChoice device(GptossOptions options, TaskContext ctx) {
    List<String> task = List.of();
    if (ctx != null) {
      ResourceInformation gpu = ctx.resources().get("gpu").getOrElse(() -> null);
      if (gpu != null) task = List.of(gpu.addresses());
    }
    String assigned = task.isEmpty() ? null : task.get(0);
    int partition = ctx == null ? 0 : ctx.partitionId();
    int n = options.tensorParallelSize();
    if (n > 1 && (options.device().equals("auto") || options.device().equals("cuda"))) {
      ExecutorGpus mine = ExecutorGpus.of(executorGpus, task, () -> gpus().count());
      if (mine != null) return mine.span(n, assigned, partition);
    }
    DeviceChoice choice = DeviceChoice.resolve(options.device(), assigned, partition, gpus());
    if (choice.warning() != null && WARNED.compareAndSet(false, true)) LOG.warn("gptoss: {}", choice.warning());
    return choice;
  }

  /**
   * Records the executor's resources (its GPUs: {@code spark.executor.resource.gpu.amount}), so that an engine
   * spanning several GPUs ({@code tensor_parallel_size}) knows them all, not only its task's ({@link ExecutorGpus}).
   */
  public static void executorResources(Map<String, ResourceInformation> resources) {
    ResourceInformation gpu = resources.get("gpu");
    executorGpus = gpu == null ? List.of() : List.of(gpu.addresses());
    if (gpu != null) LOG.info("gptoss: this executor owns GPUs {}", executorGpus);
  }

  /** What this JVM sees of CUDA, probed once. */
  private static CudaAvailability gpus() {
    CudaAvailability g = gpus;
    if (g == null) {
      synchronized (LOCK) {
        if (gpus == null) gpus = CudaAvailability.probe();
        g = gpus;
      }
    }
    return g;
  }

  /** Loads the model's files, plans the GPU's memory and starts the engine (the registry's loader). */
  private static ExecutorEngine load(EngineSettings key, String how) {
    long t0 = System.nanoTime();
    SparkEnv env = SparkEnv.get();
    Path dir = ModelFiles.localDir(key.model(),
        env == null ? new org.apache.hadoop.conf.Configuration() : SparkHadoopUtil.get().newConfiguration(env.conf()));
    long kvBudget = key.onGpu() ? gpuKvBudget(key, dir, env) : 0;
    ExecutorEngine e = ExecutorEngine.start(key, dir, kvBudget);
    LOG.info("gptoss: started {} in {} ms (executor {}; device {}: {})", e.describe(), (System.nanoTime() - t0) / 1_000_000,
        env == null ? "?" : env.executorId(), key.device(), how);
    return e;
  }

  /** After an engine FAILED: throws unless the device answers again (cudaSetDevice and cudaMemGetInfo). */
  private static void checkDevice(String device) {
    for (int n : DeviceChoice.listed(device)) GpuProbe.memory(n);
  }

  /**
   * The engine's K/V cap from {@link GpuMemoryPlan}: each of its GPUs planned for the weights of the ranks it holds
   * (the whole model on one GPU; a rank's share, {@link RankWeightBytes}, with {@code tensor_parallel_size} above 1).
   */
  private static long gpuKvBudget(EngineSettings key, Path dir, SparkEnv env) {
    List<Integer> rankGpus = ExecutorGpus.rankGpus(key);
    Map<Integer, long[]> mem = new HashMap<>();
    for (int ordinal : rankGpus) {
      if (mem.containsKey(ordinal)) continue;
      try {
        mem.put(ordinal, GpuProbe.memory(ordinal));
      } catch (RuntimeException | LinkageError e) {
        throw new IllegalStateException("gptoss: GPU " + ordinal + " (" + key.device() + ") was chosen for this task, but its memory cannot be read "
            + "through the CUDA runtime (" + e + "); install the NVIDIA driver, or set "
            + GptossConf.SESSION_PREFIX + GptossConf.DEVICE + "=cpu to run the engine on the CPU", e);
      }
    }
    Map<String, String> conf = new HashMap<>();
    if (env != null) {
      for (scala.Tuple2<String, String> kv : env.conf().getAll()) conf.put(kv._1(), kv._2());
    }
    long weights = key.parallel().parallel() ? RankWeightBytes.largestRank(dir, key.parallel()) : ModelFiles.weightBytes(dir);
    long minKv = 64L << 20;
    long kv = GpuMemoryPlan.engineKvBudget(rankGpus, g -> mem.get(g)[1], weights, minKv, conf, key.gpuMemoryFraction());
    for (var m : mem.entrySet()) {
      LOG.info("gptoss: {} memory plan: weights {} bytes per rank, KV cache {} bytes over {} rank(s); GPU {}: total {}, "
          + "free {}", key.device(), weights, kv, rankGpus.size(), m.getKey(), m.getValue()[1], m.getValue()[0]);
    }
    return kv;
  }

  private static void installShutdownHook() {
    synchronized (LOCK) {
      if (hookInstalled) return;
      hookInstalled = true;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(ExecutorEngines::closeAll, "gptoss-engines-shutdown"));
  }

  /** Closes every engine (executor shutdown). The next task that needs one starts it again. */
  public static void closeAll() {
    registry.closeAll();
  }

  /**
   * Replaces the registry (tests: a stub loader or device check); closes the old one's engines and returns it.
   */
  static EngineRegistry swapRegistry(EngineRegistry next) {
    EngineRegistry old = registry;
    registry = next;
    old.closeAll();
    return old;
  }

  /** Engines started by this JVM so far (closed ones included). */
  static int createdCount() {
    return registry.createdCount();
  }

  /** The engines alive in this JVM. */
  static List<ExecutorEngine> live() {
    return registry.live();
  }
}
