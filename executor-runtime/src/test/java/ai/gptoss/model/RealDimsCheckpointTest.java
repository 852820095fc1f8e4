package ai.gptoss.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.SafetensorsFile.TensorInfo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gpt-oss-20b's real dimensions (hidden 2880, 64/8 heads of 64, 32 experts top-4, expert width 2880,
 * vocab 201088) with two layers: a 3.2 GB synthetic checkpoint that must load in the test JVM's heap,
 * with the expert weights resident at their on-disk size (MXFP4 stays packed), and run a forward step.
 */
class RealDimsCheckpointTest {
  @TempDir Path tmp;

  @Test
  void twoLayerGptOss20bLoadsWithPackedExpertsAndRuns() throws IOException {
    ModelConfig c = ModelShapes.gptOss20b(2).build();
    long t0 = System.nanoTime();
    Path dir = new SyntheticCheckpointWriter(c, 2880).write(tmp.resolve("gpt-oss-20b-2-layers"));
    long t1 = System.nanoTime();
    long fileSize = Files.size(dir.resolve(Checkpoint.SINGLE));
    assertTrue(fileSize > 3_000_000_000L, "file of " + fileSize + " bytes");

    long heapBefore = usedHeapAfterGc();
    ModelWeights w;
    long expertsOnDisk = 0, denseOnDisk = 0;
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      for (String name : ckpt.tensorNames()) {
        TensorInfo t = ckpt.info(name);
        if (t.dtype() == DType.U8) expertsOnDisk += t.end() - t.begin();
        else denseOnDisk += t.end() - t.begin();
      }
      w = ModelWeights.load(ckpt);
    }
    long t2 = System.nanoTime();
    long heapLoaded = usedHeapAfterGc() - heapBefore;

    // 32 experts x (5760 + 2880 rows) x 90 blocks x 17 bytes per layer: 4.25 bits per weight
    long weightsPerLayer = 32L * (5760 + 2880) * 2880;
    assertEquals(2 * weightsPerLayer * 17 / 32, expertsOnDisk);
    long resident = w.expertBytes();
    assertTrue(Math.abs(resident - expertsOnDisk) <= 0.03 * expertsOnDisk,
        "experts resident " + resident + " bytes vs " + expertsOnDisk + " on disk");
    // The whole heap growth is accounted for by packed experts plus float32 dense weights (2x their bf16 bytes):
    // no dequantized copy of the experts (float32 would be 7.5x their size) hides anywhere.
    long expected = expertsOnDisk + 2 * denseOnDisk;
    assertTrue(Math.abs(heapLoaded - expected) < 0.05 * expected,
        "heap grew by " + heapLoaded + " bytes while loading; packed experts + float32 dense = " + expected);

    // One forward step of four tokens on the CPU backend: finite logits of order one over the whole vocabulary.
    int[] prompt = {200006, 1428, 200008, 17};
    float[][] logits;
    long t3 = System.nanoTime();
    try (CpuBackend b = new CpuBackend(w)) {
      logits = new SingleSequence(b, 8).feed(prompt, true, SamplingParams.greedy()).logits();
      long heapRunning = usedHeapAfterGc() - heapBefore;
      assertTrue(heapRunning - heapLoaded < 0.05 * expertsOnDisk,
          "the backend added " + (heapRunning - heapLoaded) + " bytes: experts must not be unpacked into a copy");
    }
    long t4 = System.nanoTime();
    assertEquals(4, logits.length);
    for (float[] row : logits) {
      assertEquals(201088, row.length);
      double ss = 0;
      for (float v : row) {
        assertTrue(Float.isFinite(v));
        ss += v * v;
      }
      double rms = Math.sqrt(ss / row.length);
      assertTrue(rms > 0.1 && rms < 20, "logit rms " + rms);
    }
    System.out.printf("gpt-oss-20b dims, 2 layers: wrote %.2f GB in %.1f s, loaded in %.1f s (experts %d bytes"
        + " on disk, %d resident; heap +%d), 4-token step %.1f s%n", fileSize / 1e9, (t1 - t0) / 1e9,
        (t2 - t1) / 1e9, expertsOnDisk, resident, heapLoaded, (t4 - t3) / 1e9);
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 2; i++) System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
