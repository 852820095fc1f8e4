package ai.gptoss.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A GPT-OSS {@code config.json}, field for field (snake_case keys become camelCase). Parsed and
 * validated in one place; every error names the file and the key.
 */
public record ModelConfig(
    int vocabSize, // vocab_size
    int hiddenSize, // hidden_size
    int intermediateSize, // intermediate_size (expert width)
    int numHiddenLayers, // num_hidden_layers
    int numAttentionHeads, // num_attention_heads
    int numKeyValueHeads, // num_key_value_heads
    int headDim, // head_dim
    int numLocalExperts, // num_local_experts
    int numExpertsPerTok, // num_experts_per_tok (experts_per_token)
    int slidingWindow, // sliding_window
    double rmsNormEps, // rms_norm_eps
    double ropeTheta, // rope_theta
    RopeScaling ropeScaling, // rope_scaling (yarn)
    double swigluLimit, // swiglu_limit
    List<String> layerTypes, // layer_types: "sliding_attention" | "full_attention"
    List<Integer> eosTokenIds, // eos_token_id (a number or a list)
    int padTokenId, // pad_token_id
    int maxPositionEmbeddings, // max_position_embeddings
    String quantMethod) { // quantization_config.quant_method ("mxfp4" or null)

  public static final String SLIDING = "sliding_attention";
  public static final String FULL = "full_attention";

  /** {@code rope_scaling} of type yarn. */
  public record RopeScaling(
      String ropeType,
      double factor,
      double betaFast,
      double betaSlow,
      int originalMaxPositionEmbeddings,
      boolean truncate) {}

  public ModelConfig {
    layerTypes = List.copyOf(layerTypes);
    eosTokenIds = List.copyOf(eosTokenIds);
  }

  public boolean isSliding(int layer) {
    return SLIDING.equals(layerTypes.get(layer));
  }

  public int qDim() {
    return numAttentionHeads * headDim;
  }

  public int kvDim() {
    return numKeyValueHeads * headDim;
  }

  public int numSlidingLayers() {
    return (int) layerTypes.stream().filter(SLIDING::equals).count();
  }

  public int numFullLayers() {
    return numHiddenLayers - numSlidingLayers();
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads and validates {@code config.json}. */
  public static ModelConfig read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new CheckpointException(file + ": missing (a GPT-OSS model directory needs config.json)");
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e, e);
    }
    return fromJson(text, file.toString());
  }

  /** Parses and validates the text of a {@code config.json}; {@code where} names the file in errors. */
  public static ModelConfig fromJson(String text, String where) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new CheckpointException(where + ": not valid JSON: " + e.getOriginalMessage() + " at line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CheckpointException(where + ": expected a JSON object");
    }
    return parse(root, where);
  }

  static ModelConfig parse(JsonNode root, String where) {
    Reader r = new Reader(root, where);
    int layers = r.positiveInt("num_hidden_layers");
    List<String> types = new ArrayList<>();
    JsonNode lt = root.get("layer_types");
    if (lt == null || lt.isNull()) {
      for (int i = 0; i < layers; i++) types.add(i % 2 == 0 ? SLIDING : FULL);
    } else {
      if (!lt.isArray()) throw r.bad("layer_types", "must be a list");
      for (JsonNode t : lt) {
        String s = t.asText();
        if (!s.equals(SLIDING) && !s.equals(FULL)) {
          throw r.bad("layer_types", "unknown layer type '" + s + "' (expected " + SLIDING + " or " + FULL + ")");
        }
        types.add(s);
      }
      if (types.size() != layers) {
        throw r.bad("layer_types", "has " + types.size() + " entries but num_hidden_layers is " + layers);
      }
    }
    List<Integer> eos = new ArrayList<>();
    JsonNode e = root.get("eos_token_id");
    if (e != null && e.isArray()) {
      for (JsonNode x : e) {
        if (!x.isInt()) throw r.bad("eos_token_id", "must be a token id or a list of token ids, got " + e);
        eos.add(x.asInt());
      }
    } else if (e != null && e.isInt()) {
      eos.add(e.asInt());
    } else if (e != null && !e.isNull()) {
      throw r.bad("eos_token_id", "must be a token id or a list of token ids, got " + e);
    }
    JsonNode rs = root.get("rope_scaling");
    RopeScaling scaling = null;
    if (rs != null && !rs.isNull()) {
      Reader s = new Reader(rs, where + " rope_scaling");
      String type = rs.path("rope_type").asText(rs.path("type").asText(""));
      if (!type.equals("yarn")) throw r.bad("rope_scaling.rope_type", "'" + type + "' is not supported (gpt-oss uses yarn)");
      scaling = new RopeScaling(type, s.positiveDouble("factor"), s.dbl("beta_fast", 32), s.dbl("beta_slow", 1),
          s.positiveInt("original_max_position_embeddings"), rs.path("truncate").asBoolean(true));
    }
    JsonNode q = root.path("quantization_config").path("quant_method");
    int heads = r.positiveInt("num_attention_heads");
    int kvHeads = r.positiveInt("num_key_value_heads");
    if (heads % kvHeads != 0) {
      throw r.bad("num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
    }
    int hidden = r.positiveInt("hidden_size");
    int inter = r.positiveInt("intermediate_size");
    if (hidden % Mxfp4.BLOCK != 0) throw r.bad("hidden_size", hidden + " is not a multiple of the MXFP4 block (32)");
    if (inter % Mxfp4.BLOCK != 0) throw r.bad("intermediate_size", inter + " is not a multiple of the MXFP4 block (32)");
    int headDim = root.has("head_dim") ? r.positiveInt("head_dim") : hidden / heads;
    if (headDim % 2 != 0) throw r.bad("head_dim", headDim + " must be even for rotary embeddings");
    int experts = r.positiveInt("num_local_experts");
    int topK = root.has("num_experts_per_tok") ? r.positiveInt("num_experts_per_tok") : r.positiveInt("experts_per_token");
    if (topK > experts) throw r.bad("num_experts_per_tok", topK + " exceeds num_local_experts " + experts);
    int vocab = r.positiveInt("vocab_size");
    for (int id : eos) {
      if (id < 0 || id >= vocab) throw r.bad("eos_token_id", id + " is outside the vocabulary (vocab_size " + vocab + ")");
    }
    return new ModelConfig(vocab, hidden, inter, layers, heads, kvHeads, headDim, experts, topK,
        r.positiveInt("sliding_window"), r.dbl("rms_norm_eps", 1e-5), r.positiveDouble("rope_theta"), scaling,
        r.dbl("swiglu_limit", 7.0), types, eos, root.path("pad_token_id").asInt(-1),
        root.path("max_position_embeddings").asInt(131072), q.isMissingNode() ? null : q.asText());
  }

  /** Writes this config in the published config.json layout. */
  public ObjectNode toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.putArray("architectures").add("GptOssForCausalLM");
    o.put("model_type", "gpt_oss");
    o.put("attention_bias", true);
    if (eosTokenIds.size() == 1) o.put("eos_token_id", eosTokenIds.get(0));
    else eosTokenIds.forEach(o.putArray("eos_token_id")::add);
    o.put("pad_token_id", padTokenId);
    o.put("experts_per_token", numExpertsPerTok);
    o.put("num_experts_per_tok", numExpertsPerTok);
    o.put("head_dim", headDim);
    o.put("hidden_act", "silu");
    o.put("hidden_size", hiddenSize);
    o.put("initial_context_length", 4096);
    o.put("intermediate_size", intermediateSize);
    o.put("max_position_embeddings", maxPositionEmbeddings);
    o.put("num_attention_heads", numAttentionHeads);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("num_key_value_heads", numKeyValueHeads);
    o.put("num_local_experts", numLocalExperts);
    o.put("rms_norm_eps", rmsNormEps);
    o.put("rope_theta", ropeTheta);
    if (ropeScaling != null) {
      ObjectNode rs = o.putObject("rope_scaling");
      rs.put("beta_fast", ropeScaling.betaFast());
      rs.put("beta_slow", ropeScaling.betaSlow());
      rs.put("factor", ropeScaling.factor());
      rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
      rs.put("rope_type", ropeScaling.ropeType());
      rs.put("truncate", ropeScaling.truncate());
    }
    o.put("sliding_window", slidingWindow);
    o.put("swiglu_limit", swigluLimit);
    o.put("tie_word_embeddings", false);
    o.put("vocab_size", vocabSize);
    ObjectNode qc = o.putObject("quantization_config");
    qc.put("quant_method", "mxfp4");
    ArrayNode skip = qc.putArray("modules_to_not_convert");
    skip.add("model.layers.*.self_attn").add("model.layers.*.mlp.router").add("model.embed_tokens").add("lm_head");
    layerTypes.forEach(o.putArray("layer_types")::add);
    return o;
  }

  /** Typed access to config keys with errors that name the file and key. */
  private record Reader(JsonNode root, String where) {
    CheckpointException bad(String key, String why) {
      return new CheckpointException(where + ": config key '" + key + "' " + why);
    }

    int positiveInt(String key) {
      JsonNode n = root.get(key);
      if (n == null || n.isNull()) throw bad(key, "is missing");
      if (!n.canConvertToInt() || !n.isIntegralNumber()) throw bad(key, "must be an integer, got " + n);
      if (n.asInt() <= 0) throw bad(key, "must be positive, got " + n.asInt());
      return n.asInt();
    }

    double positiveDouble(String key) {
      JsonNode n = root.get(key);
      if (n == null || n.isNull()) throw bad(key, "is missing");
      if (!n.isNumber() || n.asDouble() <= 0) throw bad(key, "must be a positive number, got " + n);
      return n.asDouble();
    }

    double dbl(String key, double dflt) {
      JsonNode n = root.get(key);
      if (n == null || n.isNull()) return dflt;
      if (!n.isNumber()) throw bad(key, "must be a number, got " + n);
      return n.asDouble();
    }
  }
}
