package ai.gptoss.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.model.SafetensorsFile.TensorInfo;
import ai.gptoss.model.SyntheticCheckpointWriter.TensorSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCheckpointWriterTest {
  @TempDir Path tmp;

  static final ModelConfig SHAPE = ModelShapes.tinyA().vocab(512).hidden(96).intermediate(64).heads(6, 2)
      .headDim(16).experts(4, 2).layers(3).build();

  @Test
  void writesThePublishedLayoutAndLoads() throws IOException {
    Path dir = new SyntheticCheckpointWriter(SHAPE, 7).write(tmp.resolve("m"));
    assertTrue(Files.exists(dir.resolve("config.json")));
    assertTrue(Files.exists(dir.resolve("model.safetensors")));
    assertFalse(Files.exists(dir.resolve("model.safetensors.index.json")));
    // config.json round-trips through the validating reader and keeps the published keys
    assertEquals(SHAPE, ModelConfig.read(dir.resolve("config.json")));
    JsonNode cfg = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    assertEquals("mxfp4", cfg.path("quantization_config").path("quant_method").asText());
    assertEquals(3, cfg.get("layer_types").size());

    // 3 + 19 per layer tensors, with the published names, dtypes and shapes
    List<TensorSpec> specs = new SyntheticCheckpointWriter(SHAPE, 7).tensors();
    assertEquals(3 + 19 * 3, specs.size());
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      assertEquals(specs.size(), ckpt.tensorNames().size());
      for (TensorSpec s : specs) {
        TensorInfo t = ckpt.info(s.name());
        assertArrayEquals(s.shape(), t.shape(), s.name());
        assertEquals(s.dtype(), t.dtype(), s.name());
        assertEquals(s.name().endsWith("_blocks") || s.name().endsWith("_scales") ? DType.U8 : DType.BF16, t.dtype());
      }
      assertArrayEquals(new long[] {4, 128, 3, 16}, ckpt.info("model.layers.2.mlp.experts.gate_up_proj_blocks").shape());
      assertArrayEquals(new long[] {4, 96, 2}, ckpt.info("model.layers.0.mlp.experts.down_proj_scales").shape());
      ModelWeights w = ModelWeights.load(ckpt);
      assertEquals(3, w.layers.size());
    }
    long expected = specs.stream().mapToLong(TensorSpec::bytes).sum();
    long size = Files.size(dir.resolve("model.safetensors"));
    assertTrue(size > expected && size < expected + 16384, "file " + size + " vs data " + expected);
  }

  @Test
  void distributionsKeepActivationsOrderOne() {
    Path dir = new SyntheticCheckpointWriter(SHAPE, 11).write(tmp.resolve("m"));
    try (Checkpoint ckpt = Checkpoint.open(dir)) {
      ModelWeights w = ModelWeights.load(ckpt);
      assertMoments(w.embedTokens, 0, 1, "embed");
      assertMoments(w.lmHead, 0, 1 / Math.sqrt(96), "lm_head");
      assertMoments(w.layers.get(1).qProj(), 0, 1 / Math.sqrt(96), "q_proj");
      assertMoments(w.layers.get(1).oProj(), 0, 1 / Math.sqrt(96), "o_proj (fan-in 6*16)");
      assertMoments(w.norm, 1, 0.1, "norm");
      assertMoments(w.layers.get(0).gateUpBias(), 0, 0.1, "gate_up bias");
      // scales: 127 + round(log2(1/(2.5 sqrt(fan_in)))) + {-1,0,1}; fan-in 96 -> base 127 - 5 = 122
      Set<Integer> gateScales = new HashSet<>();
      for (byte b : w.layers.get(0).gateUpScales()) gateScales.add(b & 0xff);
      assertEquals(Set.of(121, 122, 123), gateScales);
      Set<Integer> downScales = new HashSet<>();
      for (byte b : w.layers.get(0).downScales()) downScales.add(b & 0xff); // fan-in 64 -> 127 - 4
      assertEquals(Set.of(122, 123, 124), downScales);
      // blocks: every byte value appears (uniform nibbles)
      Set<Integer> blockBytes = new HashSet<>();
      for (byte b : w.layers.get(2).gateUpBlocks()) blockBytes.add(b & 0xff);
      assertEquals(256, blockBytes.size());
    }
  }

  private static void assertMoments(float[] x, double mean, double std, String what) {
    double s = 0, s2 = 0;
    for (float v : x) s += v;
    double m = s / x.length;
    for (float v : x) s2 += (v - m) * (v - m);
    double sd = Math.sqrt(s2 / x.length);
    double tol = 5 * std / Math.sqrt(x.length) + 1e-9;
    assertEquals(mean, m, tol, what + " mean");
    assertEquals(std, sd, std * 0.15, what + " std");
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
    Path a = new SyntheticCheckpointWriter(SHAPE, 5).write(tmp.resolve("a"));
    Path b = new SyntheticCheckpointWriter(SHAPE, 5).write(tmp.resolve("b"));
    Path c = new SyntheticCheckpointWriter(SHAPE, 6).write(tmp.resolve("c"));
    byte[] fa = Files.readAllBytes(a.resolve("model.safetensors"));
    assertArrayEquals(fa, Files.readAllBytes(b.resolve("model.safetensors")));
    byte[] fc = Files.readAllBytes(c.resolve("model.safetensors"));
    assertEquals(fa.length, fc.length);
    assertFalse(Arrays.equals(fa, fc));
  }

  @Test
  void denseDTypesHoldTheSameValuesToTheirPrecision() {
    ModelWeights f32, bf16, f16;
    try (Checkpoint c = Checkpoint.open(new SyntheticCheckpointWriter(SHAPE, 9).denseDType(DType.F32).write(tmp.resolve("f32")))) {
      assertEquals(DType.F32, c.info("lm_head.weight").dtype());
      f32 = ModelWeights.load(c);
    }
    try (Checkpoint c = Checkpoint.open(new SyntheticCheckpointWriter(SHAPE, 9).write(tmp.resolve("bf16")))) {
      bf16 = ModelWeights.load(c);
    }
    try (Checkpoint c = Checkpoint.open(new SyntheticCheckpointWriter(SHAPE, 9).denseDType(DType.F16).write(tmp.resolve("f16")))) {
      assertEquals(DType.F16, c.info("model.layers.1.self_attn.sinks").dtype());
      f16 = ModelWeights.load(c);
    }
    assertClose(f32.embedTokens, bf16.embedTokens, 0x1p-8, "bf16 embed");
    assertClose(f32.embedTokens, f16.embedTokens, 0x1p-11, "f16 embed");
    assertClose(f32.layers.get(2).kProj(), f16.layers.get(2).kProj(), 0x1p-11, "f16 k_proj");
    assertClose(f32.layers.get(2).kProj(), bf16.layers.get(2).kProj(), 0x1p-8, "bf16 k_proj");
    // experts are MXFP4 whatever the dense dtype
    assertArrayEquals(f32.layers.get(1).downBlocks(), f16.layers.get(1).downBlocks());
  }

  /** Relative error at most {@code rel} (half an ulp of the narrower type), absolute near zero. */
  private static void assertClose(float[] exact, float[] rounded, double rel, String what) {
    assertEquals(exact.length, rounded.length);
    for (int i = 0; i < exact.length; i++) {
      double err = Math.abs(exact[i] - rounded[i]);
      assertTrue(err <= rel * Math.abs(exact[i]) + 1e-7, what + "[" + i + "]: " + exact[i] + " vs " + rounded[i]);
    }
  }

  @Test
  void halfPrecisionConversionRoundTripsEveryHalfAndRoundsToNearestEven() {
    for (int h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) continue; // NaN payloads
      float f = Checkpoint.Float16.toFloat((short) h);
      assertEquals(h, SyntheticCheckpointWriter.toF16(f) & 0xffff, "half 0x" + Integer.toHexString(h));
    }
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties to even (1.0)
    assertEquals(0x3c00, SyntheticCheckpointWriter.toF16(1f + 0x1p-11f));
    assertEquals(0x3c02, SyntheticCheckpointWriter.toF16(1f + 3 * 0x1p-11f));
    assertEquals(0x0001, SyntheticCheckpointWriter.toF16(0x1p-24f)); // smallest subnormal
    assertEquals(0x0000, SyntheticCheckpointWriter.toF16(0x1p-26f));
    assertEquals(0x7c00, SyntheticCheckpointWriter.toF16(70000f)); // overflow to infinity
    assertEquals((short) 0x3f80, SyntheticCheckpointWriter.toBf16(1.0f));
    assertEquals((short) 0x3f80, SyntheticCheckpointWriter.toBf16(1.0f + 0x1p-8f)); // tie to even
    assertEquals((short) 0x3f81, SyntheticCheckpointWriter.toBf16(1.0f + 0x1.8p-8f));
  }

  @Test
  void shapesBuildersGiveThePublishedAndFixtureDimensions() {
    ModelConfig big = ModelShapes.gptOss20b(2).build();
    assertEquals(201088, big.vocabSize());
    assertEquals(2880, big.hiddenSize());
    assertEquals(64, big.numAttentionHeads());
    assertEquals(8, big.numKeyValueHeads());
    assertEquals(32, big.numLocalExperts());
    assertEquals(4, big.numExpertsPerTok());
    assertEquals(List.of("sliding_attention", "full_attention"), big.layerTypes());
    assertEquals(List.of(200002), big.eosTokenIds());
    try (Checkpoint tinyA = Checkpoint.open(ai.gptoss.Golden.dir("tiny-a"))) {
      ModelConfig fixture = tinyA.config();
      assertEquals(fixture, ModelShapes.tinyA().build());
    }
  }
}
