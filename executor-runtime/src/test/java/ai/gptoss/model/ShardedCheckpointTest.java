package ai.gptoss.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same synthetic model as one file and as three shards with an index loads to identical weights. */
class ShardedCheckpointTest {
  @TempDir Path tmp;

  @Test
  void oneFileAndThreeShardsLoadIdentically() throws IOException {
    ModelConfig c = ModelShapes.tinyA().vocab(300).hidden(64).heads(8, 1).headDim(8).experts(6, 3).layers(3).build();
    Path single = new SyntheticCheckpointWriter(c, 42).write(tmp.resolve("single"));
    Path sharded = new SyntheticCheckpointWriter(c, 42).shards(3).write(tmp.resolve("sharded"));

    assertFalse(Files.exists(sharded.resolve("model.safetensors")));
    JsonNode index = new ObjectMapper().readTree(sharded.resolve("model.safetensors.index.json").toFile());
    Set<String> files = new HashSet<>();
    index.get("weight_map").forEach(f -> files.add(f.asText()));
    assertEquals(Set.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
        "model-00003-of-00003.safetensors"), files);
    long total = 0;
    for (String f : files) total += Files.size(sharded.resolve(f));
    assertTrue(index.path("metadata").path("total_size").asLong() < total);

    ModelWeights a, b;
    try (Checkpoint ca = Checkpoint.open(single); Checkpoint cb = Checkpoint.open(sharded)) {
      assertEquals(1, ca.files().size());
      assertEquals(3, cb.files().size());
      assertEquals(Set.copyOf(ca.tensorNames()), Set.copyOf(cb.tensorNames()));
      // the shards really split the tensors: the first and last tensors live in different files
      assertFalse(cb.fileOf("model.embed_tokens.weight").equals(cb.fileOf("lm_head.weight")));
      a = ModelWeights.load(ca);
      b = ModelWeights.load(cb);
    }
    assertEquals(a.config, b.config);
    assertArrayEquals(a.embedTokens, b.embedTokens);
    // rewriting a directory in the other layout leaves no stale file that would shadow it
    new SyntheticCheckpointWriter(c, 43).write(sharded);
    assertFalse(Files.exists(sharded.resolve("model.safetensors.index.json")));
    try (Checkpoint again = Checkpoint.open(sharded)) {
      assertEquals(java.util.List.of(sharded.resolve("model.safetensors")), again.files());
    }
    assertArrayEquals(a.norm, b.norm);
    assertArrayEquals(a.lmHead, b.lmHead);
    for (int l = 0; l < 3; l++) {
      ModelWeights.Layer x = a.layers.get(l), y = b.layers.get(l);
      assertArrayEquals(x.inputLayernorm(), y.inputLayernorm());
      assertArrayEquals(x.postAttentionLayernorm(), y.postAttentionLayernorm());
      assertArrayEquals(x.qProj(), y.qProj());
      assertArrayEquals(x.qBias(), y.qBias());
      assertArrayEquals(x.kProj(), y.kProj());
      assertArrayEquals(x.kBias(), y.kBias());
      assertArrayEquals(x.vProj(), y.vProj());
      assertArrayEquals(x.vBias(), y.vBias());
      assertArrayEquals(x.oProj(), y.oProj());
      assertArrayEquals(x.oBias(), y.oBias());
      assertArrayEquals(x.sinks(), y.sinks());
      assertArrayEquals(x.routerWeight(), y.routerWeight());
      assertArrayEquals(x.routerBias(), y.routerBias());
      assertArrayEquals(x.gateUpBlocks(), y.gateUpBlocks());
      assertArrayEquals(x.gateUpScales(), y.gateUpScales());
      assertArrayEquals(x.gateUpBias(), y.gateUpBias());
      assertArrayEquals(x.downBlocks(), y.downBlocks());
      assertArrayEquals(x.downScales(), y.downScales());
      assertArrayEquals(x.downBias(), y.downBias());
    }
  }
}
