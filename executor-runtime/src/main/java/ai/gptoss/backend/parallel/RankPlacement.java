package ai.gptoss.backend.parallel;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which GPU each rank of an engine spanning several GPUs runs on, from the {@code device} setting: {@code cuda} or
 * {@code cuda:K} puts the N ranks on GPUs K..K+N-1 (the executor's N devices); {@code cuda:A,B,...} lists one GPU
 * per rank, repeats allowed: {@code cuda:0,0,0,0} puts four ranks on GPU 0, which checks the partitioned forward pass
 * on one GPU (its collectives then go through the host, since NCCL refuses two ranks on one GPU: {@link #sharesDevice}).
 *
 * @param devices the CUDA ordinal of each rank, indexed by rank
 */
public record RankPlacement(List<Integer> devices) {
  public RankPlacement {
    devices = List.copyOf(devices);
  }

  /**
   * The placement {@code device} names for {@code plan}'s ranks on a machine with {@code deviceCount} GPUs; throws
   * {@link IllegalArgumentException} naming the setting, the ranks and the GPUs there are when it does not fit.
   */
  public static RankPlacement of(String device, ParallelPlan plan, int deviceCount) {
    String d = device == null ? "" : device.trim().toLowerCase(java.util.Locale.ROOT);
    if (!d.equals("cuda") && !d.startsWith("cuda:")) {
      throw new IllegalArgumentException("--device " + device + ": a multi-GPU engine runs on cuda, cuda:N or cuda:N,M,...");
    }
    int n = plan.ranks();
    String what = "tensor_parallel_size=" + n + " on device " + device + ": ";
    List<Integer> ordinals = d.equals("cuda") ? new ArrayList<>(List.of(0)) : new ArrayList<>(listedGpus(d));
    if (ordinals.isEmpty()) {
      throw new IllegalArgumentException("--device " + device + ": expected cuda:N or cuda:N,M,... with N a GPU number");
    }
    if (ordinals.size() == 1) {
      int first = ordinals.get(0);
      ordinals.clear();
      for (int r = 0; r < n; r++) ordinals.add(first + r);
    } else if (ordinals.size() != n) {
      throw new IllegalArgumentException(what + ordinals.size() + " GPUs listed for " + n + " ranks (list one GPU per "
          + "rank, or name the first: cuda:K places the ranks on GPUs K..K+" + (n - 1) + ")");
    }
    for (int o : ordinals) {
      if (o < 0 || o >= deviceCount) {
        throw new IllegalArgumentException(what + "the ranks need GPUs " + ordinals + ", but this machine has "
            + deviceCount + " CUDA device" + (deviceCount == 1 ? "" : "s") + " (0.." + (deviceCount - 1) + "); use "
            + "fewer ranks, or to check the partitioning on one GPU list it once per rank (cuda:"
            + String.join(",", java.util.Collections.nCopies(n, "0")) + ")");
      }
    }
    return new RankPlacement(ordinals);
  }

  /**
   * The GPU numbers {@code cuda:N} or {@code cuda:A,B,...} lists (the device settings' one parser, here and in the
   * connector); empty for anything else, a missing or negative number included.
   */
  public static List<Integer> listedGpus(String device) {
    if (device == null || !device.startsWith("cuda:")) return List.of();
    List<Integer> out = new ArrayList<>();
    for (String s : device.substring(5).split(",", -1)) {
      try {
        int n = Integer.parseInt(s.trim());
        if (n < 0) return List.of();
        out.add(n);
      } catch (NumberFormatException e) {
        return List.of();
      }
    }
    return out;
  }

  /** Rank {@code r}'s GPU. */
  public int device(int r) {
    return devices.get(r);
  }

  public int ranks() {
    return devices.size();
  }

  /** Whether two ranks share a GPU (checking only: NCCL cannot serve them). */
  public boolean sharesDevice() {
    return new HashSet<>(devices).size() < devices.size();
  }

  /** The ordinals as an array (NCCL's device list). */
  public int[] ordinals() {
    return devices.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Throws unless {@code devices} are distinct: {@code who} (NCCL) cannot put two ranks on one GPU. */
  public static void requireDistinct(int[] devices, String who) {
    Set<Integer> seen = new HashSet<>();
    for (int d : devices) {
      if (!seen.add(d)) {
        throw new IllegalArgumentException(who + " needs one GPU per rank, but GPU " + d + " is listed twice in "
            + java.util.Arrays.toString(devices) + " (ranks sharing a GPU use host-staged collectives)");
      }
    }
  }

  /**
   * The K/V budget of the whole engine, in bytes of all ranks' K/V: every rank holds the same number of pages, and
   * the ranks on one GPU share its memory, so the pages are as many as the tightest GPU holds over the bytes its
   * ranks' K/V take per token. A rank's own budget is its GPU's free memory less what the rank needs besides K/V (its
   * step buffers, a reserve); on a GPU of n ranks each sees the same free memory, so the GPU's budget is the sum of
   * its ranks' budgets less n - 1 times its free memory: the free memory less every rank's needs.
   *
   * @param rankBudgets each rank's own budget, by rank
   * @param rankFree the free memory of each rank's GPU as that rank read it, by rank
   * @param rankTokenBytes each rank's K/V bytes per token, all layers, by rank
   */
  public long kvBudget(long[] rankBudgets, long[] rankFree, long[] rankTokenBytes) {
    double tokens = Double.MAX_VALUE;
    long all = 0;
    for (int d : new HashSet<>(devices)) {
      long budgets = 0, free = 0, perToken = 0;
      int n = 0;
      for (int r = 0; r < devices.size(); r++) {
        if (devices.get(r) != d) continue;
        budgets += rankBudgets[r];
        free = Math.max(free, rankFree[r]);
        perToken += rankTokenBytes[r];
        n++;
      }
      tokens = Math.min(tokens, Math.floor(Math.max(0, budgets - (n - 1) * free) / (double) perToken));
    }
    for (long b : rankTokenBytes) all += b;
    return (long) (tokens * all);
  }
}
