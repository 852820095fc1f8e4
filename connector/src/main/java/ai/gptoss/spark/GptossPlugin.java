package ai.gptoss.spark;

import ai.gptoss.spark.exec.ExecutorEngines;
import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Optional ({@code spark.plugins=ai.gptoss.spark.GptossPlugin}): closes the executor's engines when the
 * executor stops, before Spark tears down the JVM (without it a JVM shutdown hook does the same). In
 * local mode that is when the SparkContext stops. It also tells the connector the executor's GPUs
 * ({@code spark.executor.resource.gpu.amount}), which an engine spanning several of them needs when a task holds
 * fewer than {@code tensor_parallel_size} GPUs (docs/multi-gpu.md).
 */
public final class GptossPlugin implements SparkPlugin {
  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext ctx, Map<String, String> extraConf) {
        ExecutorEngines.executorResources(ctx.resources());
      }

      @Override
      public void shutdown() {
        ExecutorEngines.closeAll();
      }
    };
  }
}
