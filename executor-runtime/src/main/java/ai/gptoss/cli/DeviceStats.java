package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** GPU memory figures for reports, read through reflection-free duck typing of the CUDA backend. */
final class DeviceStats {
  private DeviceStats() {}

  /** Prints the CUDA backend's per-kernel profile to stderr when one was recorded (GPTOSS_PROFILE). */
  static void profile(Backend b) {
    if (!b.name().startsWith("cuda")) return;
    try {
      String r = (String) b.getClass().getMethod("profileReport").invoke(b);
      if (!r.isEmpty()) System.err.print(r);
    } catch (ReflectiveOperationException e) {
      System.err.println("no profile: " + e);
    }
  }

  static void put(Backend b, ObjectNode o) {
    if (!b.name().startsWith("cuda")) return;
    try {
      Object cb = b;
      long weights = (Long) cb.getClass().getMethod("weightBytes").invoke(cb);
      long[] mem = (long[]) cb.getClass().getMethod("memoryInfo").invoke(cb);
      o.put("gpu_weights_gib", BenchCommand.round(weights / (double) (1L << 30)));
      o.put("gpu_used_gib", BenchCommand.round((mem[1] - mem[0]) / (double) (1L << 30)));
      o.put("gpu_total_gib", BenchCommand.round(mem[1] / (double) (1L << 30)));
      o.put("gpu_name", (String) cb.getClass().getMethod("deviceName").invoke(cb));
      o.put("gpu_arch", (String) cb.getClass().getMethod("arch").invoke(cb));
      boolean precise = (Boolean) cb.getClass().getMethod("precise").invoke(cb);
      o.put("activations", precise ? "bf16 high+low pair" : "bf16");
      o.put("precision", cb.getClass().getMethod("precision").invoke(cb).toString().toLowerCase(java.util.Locale.ROOT));
      o.put("kv_cache", (String) cb.getClass().getMethod("kvCacheDtype").invoke(cb));
    } catch (ReflectiveOperationException e) {
      o.put("gpu_memory", "unavailable: " + e);
    }
  }
}
