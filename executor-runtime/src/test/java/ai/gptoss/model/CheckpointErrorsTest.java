package ai.gptoss.model;

import static ai.gptoss.model.SafetensorsSurgery.editConfig;
import static ai.gptoss.model.SafetensorsSurgery.editHeader;
import static ai.gptoss.model.SafetensorsSurgery.replaceHeader;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad checkpoint gets a {@link CheckpointException} whose message names the file and
 * the tensor or key at fault.
 */
class CheckpointErrorsTest {
  static final ModelConfig SHAPE = ModelShapes.tinyA().vocab(256).hidden(64).intermediate(32).heads(4, 2).headDim(16)
      .experts(4, 2).layers(2).build();
  static final String SINKS = "model.layers.1.self_attn.sinks";
  static final String Q = "model.layers.0.self_attn.q_proj.weight";
  static final String K = "model.layers.0.self_attn.k_proj.weight";

  @TempDir Path tmp;
  Path dir;
  Path file;

  @BeforeEach
  void write() {
    dir = new SyntheticCheckpointWriter(SHAPE, 3).write(tmp.resolve("model"));
    file = dir.resolve(Checkpoint.SINGLE);
  }

  /** Opens and loads {@code d}; asserts a CheckpointException whose message holds every fragment. */
  static CheckpointException fails(Path d, String... fragments) {
    CheckpointException e = assertThrows(CheckpointException.class, () -> {
      try (Checkpoint c = Checkpoint.open(d)) {
        ModelWeights.load(c);
      }
    });
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message lacks '" + f + "': " + e.getMessage());
    }
    return e;
  }

  @Test
  void theUndamagedModelLoads() {
    try (Checkpoint c = Checkpoint.open(dir)) {
      ModelWeights.load(c);
    }
  }

  @Test
  void missingDirectory() {
    Path nowhere = tmp.resolve("no-such-model");
    fails(nowhere, nowhere.toString(), "config.json");
  }

  @Test
  void missingConfig() throws IOException {
    Files.delete(dir.resolve("config.json"));
    fails(dir, dir.resolve("config.json").toString(), "missing");
  }

  @Test
  void missingWeights() throws IOException {
    Files.delete(file);
    fails(dir, dir.toString(), "model.safetensors", "model.safetensors.index.json");
  }

  @Test
  void configNotJsonOrWrongTypes() throws IOException {
    Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64,");
    fails(dir, dir.resolve("config.json").toString(), "not valid JSON", "line 1");
    Files.delete(dir.resolve("config.json"));
    Files.createDirectory(dir.resolve("config.json"));
    fails(dir, dir.resolve("config.json").toString(), "cannot read");
    Files.delete(dir.resolve("config.json"));
    editConfigFresh(c -> c.put("hidden_size", "64"));
    fails(dir, dir.resolve("config.json").toString(), "'hidden_size'", "integer");
    editConfigFresh(c -> c.remove("num_attention_heads"));
    fails(dir, dir.resolve("config.json").toString(), "'num_attention_heads'", "missing");
    editConfigFresh(c -> c.put("num_key_value_heads", 3));
    fails(dir, dir.resolve("config.json").toString(), "'num_key_value_heads'", "divide");
    editConfigFresh(c -> c.putArray("eos_token_id").add("</s>"));
    fails(dir, dir.resolve("config.json").toString(), "'eos_token_id'", "</s>");
    editConfigFresh(c -> c.put("eos_token_id", 256));
    fails(dir, dir.resolve("config.json").toString(), "'eos_token_id'", "outside the vocabulary");
    editConfigFresh(c -> ((ArrayNode) c.get("layer_types")).set(0, "global_attention"));
    fails(dir, dir.resolve("config.json").toString(), "'layer_types'", "global_attention");
  }

  private void editConfigFresh(java.util.function.Consumer<ObjectNode> edit) {
    dir = new SyntheticCheckpointWriter(SHAPE, 3).write(dir);
    editConfig(dir, edit);
  }

  @Test
  void truncatedData() throws IOException {
    long size = Files.size(file);
    SafetensorsSurgery.truncate(file, size - 100);
    // lm_head is the last tensor, so it is the one that runs past the end
    fails(dir, file.toString(), "'lm_head.weight'", "data_offsets", "truncated");
  }

  @Test
  void truncatedInsideTheHeader() {
    SafetensorsSurgery.truncate(file, 200);
    fails(dir, file.toString(), "header length");
    SafetensorsSurgery.truncate(file, 5);
    fails(dir, file.toString(), "truncated", "no header length");
    SafetensorsSurgery.truncate(file, 0);
    fails(dir, file.toString(), "truncated");
  }

  @Test
  void headerNotJson() {
    replaceHeader(file, "this is not json at all");
    fails(dir, file.toString(), "malformed safetensors header", "not valid JSON");
    replaceHeader(file, "[1, 2, 3]");
    fails(dir, file.toString(), "malformed safetensors header", "not a JSON object");
    replaceHeader(file, "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}} trailing");
    fails(dir, file.toString(), "malformed safetensors header", "junk");
  }

  @Test
  void headerWithWrongTypes() {
    editHeader(file, h -> ((ObjectNode) h.get(SINKS)).put("shape", "four"));
    fails(dir, file.toString(), "'" + SINKS + "'", "shape is not a list");
    write();
    editHeader(file, h -> ((ObjectNode) h.get(SINKS)).put("dtype", 7));
    fails(dir, file.toString(), "'" + SINKS + "'", "dtype is not a string");
    write();
    editHeader(file, h -> ((ArrayNode) h.get(SINKS).get("data_offsets")).add(5));
    fails(dir, file.toString(), "'" + SINKS + "'", "data_offsets");
    write();
    editHeader(file, h -> ((ArrayNode) h.get(SINKS).get("shape")).set(0, -4));
    fails(dir, file.toString(), "'" + SINKS + "'", "negative");
    write();
    editHeader(file, h -> ((ObjectNode) h.get(SINKS)).remove("dtype"));
    fails(dir, file.toString(), "'" + SINKS + "'", "lacks dtype");
    write();
    editHeader(file, h -> h.put(SINKS, "F32"));
    fails(dir, file.toString(), "'" + SINKS + "'", "not an object");
    write();
    // dtype and shape that disagree with the span of data_offsets
    editHeader(file, h -> ((ObjectNode) h.get(SINKS)).put("dtype", "F32"));
    fails(dir, file.toString(), "'" + SINKS + "'", "needs 16 bytes but data_offsets span 8");
  }

  @Test
  void offsetsPastTheEndOfTheFile() {
    editHeader(file, h -> {
      ArrayNode off = (ArrayNode) h.get(SINKS).get("data_offsets");
      off.set(0, 1L << 40);
      off.set(1, (1L << 40) + 8);
    });
    fails(dir, file.toString(), "'" + SINKS + "'", "data_offsets", "past the end");
  }

  @Test
  void missingTensor() {
    editHeader(file, h -> h.remove(SINKS));
    fails(dir, file.toString(), "'" + SINKS + "'", "missing");
  }

  @Test
  void wrongShape() {
    // same number of elements, transposed
    editHeader(file, h -> {
      ArrayNode s = (ArrayNode) h.get(K).get("shape");
      long a = s.get(0).asLong();
      s.set(0, s.get(1).asLong());
      s.set(1, a);
    });
    fails(dir, file.toString(), "'" + K + "'", "shape [64, 32]", "config.json", "[32, 64]",
        "num_key_value_heads*head_dim = 32");
    write();
    editHeader(file, h -> {
      ObjectNode t = (ObjectNode) h.get(SINKS);
      t.putArray("shape").add(2).add(2);
    });
    fails(dir, file.toString(), "'" + SINKS + "'", "2 dimensions instead of 1");
  }

  @Test
  void unsupportedDtype() {
    for (String dt : new String[] {"I64", "F64"}) {
      write();
      editHeader(file, h -> {
        ObjectNode t = (ObjectNode) h.get(SINKS);
        t.put("dtype", dt);
        t.putArray("shape").add(1); // 8 bytes of data: one 64-bit element
      });
      fails(dir, file.toString(), "'" + SINKS + "'", "unsupported dtype " + dt);
    }
    write();
    editHeader(file, h -> ((ObjectNode) h.get("model.layers.0.mlp.experts.down_proj_scales")).put("dtype", "F16")
        .putArray("shape").add(4).add(64).add(1) /* the 512 bytes as 256 halves */);
    fails(dir, file.toString(), "'model.layers.0.mlp.experts.down_proj_scales'");
  }

  @Test
  void dequantizedExpertsAreNamed() {
    editHeader(file, h -> {
      String x = "model.layers.0.mlp.experts.";
      h.set(x + "gate_up_proj", h.remove(x + "gate_up_proj_blocks"));
    });
    fails(dir, file.toString(), "'model.layers.0.mlp.experts.gate_up_proj'", "MXFP4");
  }

  @Test
  void configContradictsTheTensors() {
    String config = dir.resolve("config.json").toString();
    editConfig(dir, c -> c.put("hidden_size", 96));
    fails(dir, file.toString(), config, "'model.embed_tokens.weight'", "hidden_size = 96", "64 in the file");
    editConfigFresh(c -> c.put("vocab_size", 512));
    fails(dir, file.toString(), config, "'model.embed_tokens.weight'", "vocab_size = 512");
    editConfigFresh(c -> c.put("num_local_experts", 8));
    fails(dir, file.toString(), config, "'model.layers.0.mlp.router.weight'", "num_local_experts = 8");
    editConfigFresh(c -> c.put("intermediate_size", 64));
    fails(dir, file.toString(), "gate_up_proj_blocks'", "2*intermediate_size = 128");
    editConfigFresh(c -> c.put("num_attention_heads", 8));
    fails(dir, file.toString(), "'" + Q + "'", "num_attention_heads*head_dim = 128");
    editConfigFresh(c -> {
      c.put("num_hidden_layers", 1);
      c.putArray("layer_types").add("sliding_attention");
    });
    fails(dir, config, "'num_hidden_layers'", "layer 1", file.toString());
    editConfigFresh(c -> {
      c.put("num_hidden_layers", 3);
      ((ArrayNode) c.get("layer_types")).add("sliding_attention");
    });
    fails(dir, config, "'num_hidden_layers'", "2 layers", file.toString());
  }

  @Test
  void shardedIndexProblems() throws IOException {
    Path sharded = new SyntheticCheckpointWriter(SHAPE, 3).shards(3).write(tmp.resolve("sharded"));
    Path index = sharded.resolve(Checkpoint.INDEX);
    Path shard2 = sharded.resolve("model-00002-of-00003.safetensors");
    String inShard2 = firstTensorOf(shard2);
    editHeader(shard2, h -> h.remove(inShard2));
    fails(sharded, index.toString(), "'" + inShard2 + "'", "model-00002-of-00003.safetensors", "does not contain");

    Files.delete(shard2);
    fails(sharded, index.toString(), "model-00002-of-00003.safetensors", "missing", "tensor '");

    Files.writeString(index, "{\"weight_map\": [1]}");
    fails(sharded, index.toString(), "'weight_map'");
    Files.writeString(index, "{\"weight_map\": {\"lm_head.weight\": 3}}");
    fails(sharded, index.toString(), "'lm_head.weight'", "not a file name");
    Files.writeString(index, "{\"weight_map\": {\"lm_head.weight\": \"../elsewhere.safetensors\"}}");
    fails(sharded, index.toString(), "'lm_head.weight'", "outside the model directory");
    Files.writeString(index, "not json");
    fails(sharded, index.toString(), "not valid JSON");
    // a tensor the index does not list is missing, and the error names the index
    Path fresh = new SyntheticCheckpointWriter(SHAPE, 3).shards(3).write(tmp.resolve("fresh"));
    editConfig(fresh, c -> { });
    ObjectNode idx = (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        fresh.resolve(Checkpoint.INDEX).toFile());
    ((ObjectNode) idx.get("weight_map")).remove(SINKS);
    Files.writeString(fresh.resolve(Checkpoint.INDEX), idx.toString());
    fails(fresh, fresh.resolve(Checkpoint.INDEX).toString(), "'" + SINKS + "'", "missing");
  }

  private static String firstTensorOf(Path shard) {
    Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = SafetensorsSurgery.header(shard).fields();
    while (it.hasNext()) {
      String k = it.next().getKey();
      if (!k.equals("__metadata__")) return k;
    }
    throw new AssertionError("empty shard " + shard);
  }
}
