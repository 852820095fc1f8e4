package ai.gptoss.backend.cuda;

import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.SyntheticCheckpointWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Loading speed of a real-layout gpt-oss-20b checkpoint from local disk (issue 6), run by
 * {@code scripts/gpu-check.sh}, which evicts the files from the page cache and measures the disk's
 * sequential read speed with {@code dd} around it.
 *
 * <ul>
 *   <li>{@code LoadSpeedCheck write DIR}: writes gpt-oss-20b's published layout (3 shards, bf16 dense
 *       tensors, MXFP4 experts) with random values.
 *   <li>{@code LoadSpeedCheck load DIR}: loads it onto GPU 0 through the streaming loader
 *       ({@link CudaBackend#load}) and prints {@code LOAD bytes=... seconds=... GBps=...}.
 * </ul>
 */
public final class LoadSpeedCheck {
  /** The precision and K/V cache type it loads with: {@code GPTOSS_PRECISION}, {@code GPTOSS_KV_CACHE_DTYPE}. */
  static final ai.gptoss.engine.EngineSettings SETTINGS = ai.gptoss.engine.EngineSettings.fromEnvironment("", "cuda:0");

  public static void main(String[] args) {
    Path dir = Paths.get(args[1]);
    if (args[0].equals("write")) {
      long t0 = System.nanoTime();
      new SyntheticCheckpointWriter(SyntheticModels.config("synthetic:gpt-oss-20b"), 20).shards(3).write(dir);
      System.out.printf(Locale.ROOT, "WROTE bytes=%d seconds=%.1f%n", fileBytes(dir), (System.nanoTime() - t0) / 1e9);
      return;
    }
    long bytes = fileBytes(dir);
    long t0 = System.nanoTime();
    try (Checkpoint ckpt = Checkpoint.open(dir); CudaBackend b = CudaBackend.load(ckpt, 0, SETTINGS.precision(), SETTINGS.kvCacheDtype())) {
      double s = (System.nanoTime() - t0) / 1e9; // the constructor synchronizes after the last copy
      System.out.printf(Locale.ROOT, "LOAD bytes=%d seconds=%.2f GBps=%.3f weights_gib=%.2f%n", bytes, s, bytes / s / 1e9,
          b.weightBytes() / (double) (1L << 30));
    }
  }

  private static long fileBytes(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
