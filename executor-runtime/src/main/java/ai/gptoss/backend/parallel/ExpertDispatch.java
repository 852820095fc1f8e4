package ai.gptoss.backend.parallel;

import ai.gptoss.backend.cpu.CpuMoe;
import ai.gptoss.backend.parallel.ParallelPlan.Range;
import ai.gptoss.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * One layer's expert block with expert parallelism, on one rank. The step's tokens are split into contiguous home
 * ranges, one per rank (the residual stream is replicated, so every rank could serve any token; this spreads the
 * work). Each rank then:
 * <ol>
 *   <li>dispatch: sends the hidden row of each (home token, chosen expert) pair to the rank owning that expert, in
 *       (token, routing slot) order, in one all-to-all. The router is replicated, so the receiver knows which pair each
 *       row is without being told;
 *   <li>runs each expert it owns once over all rows it received for it;
 *   <li>combine: sends each output back to the row's home rank in a second all-to-all;
 *   <li>adds each home token's outputs to its residual row in routing order (exactly as one device does), then
 *       all-gathers the home ranges so every rank holds the whole residual stream again.
 * </ol>
 */
final class ExpertDispatch {
  private final ModelConfig c;
  private final ParallelPlan plan;
  private final int rank;
  private final Collectives coll;

  ExpertDispatch(ModelConfig c, ParallelPlan plan, int rank, Collectives coll) {
    this.c = c;
    this.plan = plan;
    this.rank = rank;
    this.coll = coll;
  }

  /** The (token, slot) pairs that the home rank of {@code home} sends to rank {@code dest}, in sending order. */
  private List<int[]> pairs(CpuMoe.Route[] routes, Range home, int dest) {
    List<int[]> out = new ArrayList<>();
    for (int t = home.from(); t < home.to(); t++) {
      int[] chosen = routes[t].experts();
      for (int j = 0; j < chosen.length; j++) if (plan.ownerOfExpert(c, chosen[j]) == dest) out.add(new int[] {t, j});
    }
    return out;
  }

  void run(CpuMoe.Experts ex, CpuMoe.Route[] routes, float[] h, int tokens, float limit, float[] x) {
    int n = coll.size(), hid = c.hiddenSize();
    Range home = plan.split(tokens, rank);
    // dispatch
    float[][] send = new float[n][];
    for (int d = 0; d < n; d++) send[d] = rows(h, pairs(routes, home, d), hid);
    float[][] received = coll.allToAll(rank, send);
    // this rank's experts over every row it received, one expert at a time
    float[][] reply = new float[n][];
    List<List<int[]>> byExpert = new ArrayList<>(); // {source rank, row index}
    for (int e = 0; e < ex.count(); e++) byExpert.add(new ArrayList<>());
    for (int src = 0; src < n; src++) {
      List<int[]> from = pairs(routes, plan.split(tokens, src), rank);
      reply[src] = new float[from.size() * hid];
      for (int i = 0; i < from.size(); i++) {
        int[] p = from.get(i);
        byExpert.get(routes[p[0]].experts()[p[1]] - ex.first()).add(new int[] {src, i});
      }
    }
    for (int le = 0; le < ex.count(); le++) {
      List<int[]> group = byExpert.get(le);
      if (group.isEmpty()) continue;
      float[] xin = new float[group.size() * hid];
      for (int g = 0; g < group.size(); g++) System.arraycopy(received[group.get(g)[0]], group.get(g)[1] * hid, xin, g * hid, hid);
      float[] y = CpuMoe.mlp(ex, ex.first() + le, xin, group.size(), limit);
      for (int g = 0; g < group.size(); g++) System.arraycopy(y, g * hid, reply[group.get(g)[0]], group.get(g)[1] * hid, hid);
    }
    // combine
    float[][] back = coll.allToAll(rank, reply);
    int k = c.numExpertsPerTok();
    float[][] out = new float[tokens * k][];
    for (int d = 0; d < n; d++) {
      List<int[]> sent = pairs(routes, home, d);
      for (int i = 0; i < sent.size(); i++) {
        int[] p = sent.get(i);
        out[p[0] * k + p[1]] = java.util.Arrays.copyOfRange(back[d], i * hid, (i + 1) * hid);
      }
    }
    CpuMoe.combine(routes, out, home.from(), home.to(), hid, x);
    float[][] parts = coll.allGather(rank, java.util.Arrays.copyOfRange(x, home.from() * hid, home.to() * hid));
    for (int r = 0; r < n; r++) System.arraycopy(parts[r], 0, x, plan.split(tokens, r).from() * hid, parts[r].length);
  }

  /** The hidden rows of the pairs' tokens, one after another. */
  private static float[] rows(float[] h, List<int[]> pairs, int hid) {
    float[] out = new float[pairs.size() * hid];
    for (int i = 0; i < pairs.size(); i++) System.arraycopy(h, pairs.get(i)[0] * hid, out, i * hid, hid);
    return out;
  }
}
