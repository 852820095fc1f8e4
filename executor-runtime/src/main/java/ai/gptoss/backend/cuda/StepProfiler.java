package ai.gptoss.backend.cuda;

import static ai.gptoss.backend.cuda.Cuda.check;
import static org.bytedeco.cuda.global.cudart.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;

/**
 * GPU time per kernel family, measured with CUDA events around each section of a step (only when
 * GPTOSS_PROFILE is set: events cost a little). Read after the step's synchronisation.
 */
final class StepProfiler {
  private final CUstream_st stream;
  private final List<CUevent_st> pool = new ArrayList<>();
  private final List<String> names = new ArrayList<>();
  private int used;
  private final Map<String, double[]> totals = new LinkedHashMap<>(); // name -> {ms, count}
  private String open;

  StepProfiler(CUstream_st stream) {
    this.stream = stream;
  }

  /** Ends the open section (if any) and starts {@code name}. */
  void section(String name) {
    record();
    names.add(name);
    open = name;
  }

  void end() {
    record();
    open = null;
  }

  private void record() {
    if (used == pool.size()) {
      CUevent_st e = new CUevent_st();
      check(cudaEventCreate(e), "cudaEventCreate");
      pool.add(e);
    }
    check(cudaEventRecord(pool.get(used++), stream), "cudaEventRecord");
  }

  /** After the stream is synchronized: adds this step's sections to the totals. */
  void collect(String stepKind) {
    float[] ms = new float[1];
    int boundaries = used;
    for (int i = 0; i + 1 < boundaries && i < names.size(); i++) {
      check(cudaEventElapsedTime(ms, pool.get(i), pool.get(i + 1)), "cudaEventElapsedTime");
      double[] t = totals.computeIfAbsent(stepKind + " " + names.get(i), k -> new double[2]);
      t[0] += ms[0];
      t[1]++;
    }
    names.clear();
    used = 0;
  }

  String report() {
    StringBuilder sb = new StringBuilder();
    Map<String, Double> byKind = new LinkedHashMap<>();
    totals.forEach((k, v) -> byKind.merge(k.substring(0, k.indexOf(' ')), v[0], Double::sum));
    totals.forEach((k, v) -> {
      String kind = k.substring(0, k.indexOf(' '));
      sb.append(String.format("PROFILE %-28s %10.1f ms %5.1f%%%n", k, v[0], 100 * v[0] / byKind.get(kind)));
    });
    byKind.forEach((k, v) -> sb.append(String.format("PROFILE %-28s %10.1f ms total%n", k, v)));
    return sb.toString();
  }
}
