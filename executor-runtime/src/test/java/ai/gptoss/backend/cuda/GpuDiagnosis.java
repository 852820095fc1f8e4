package ai.gptoss.backend.cuda;

import ai.gptoss.backend.SamplingParams;
import ai.gptoss.backend.cpu.CpuBackend;
import ai.gptoss.engine.SingleSequence;
import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.ModelConfig;
import ai.gptoss.model.ModelWeights;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Localizes a CPU/GPU disagreement: the same prompt through truncated and ablated copies of a model
 * (0 or 1 layers; attention or experts switched off), printing the logits' relative L2 per variant
 * and per position. {@code GpuDiagnosis MODEL_DIR}.
 */
public final class GpuDiagnosis {
  public static void main(String[] args) {
    ModelWeights w;
    try (Checkpoint ckpt = Checkpoint.open(Paths.get(args[0]))) {
      w = ModelWeights.load(ckpt);
    }
    int[] prompt = new int[17];
    java.util.Random rnd = new java.util.Random(3);
    for (int i = 0; i < prompt.length; i++) prompt[i] = rnd.nextInt(w.config.vocabSize());
    report("0 layers", truncate(w, 0, false, false), prompt);
    report("1 layer", truncate(w, 1, false, false), prompt);
    report("1 layer, no experts", truncate(w, 1, false, true), prompt);
    report("1 layer, no attention", truncate(w, 1, true, false), prompt);
    report("2 layers", truncate(w, 2, false, false), prompt);
    report("all layers", w, prompt);
  }

  /** The precision and K/V cache type this checker runs with: {@code GPTOSS_PRECISION}, {@code GPTOSS_KV_CACHE_DTYPE}. */
  static final ai.gptoss.engine.EngineSettings SETTINGS = ai.gptoss.engine.EngineSettings.fromEnvironment("", "cuda:0");

  static void report(String name, ModelWeights w, int[] prompt) {
    float[][] cpu, gpu;
    try (CpuBackend b = new CpuBackend(w, SETTINGS.kvCacheDtype())) {
      cpu = new SingleSequence(b, prompt.length + 1).feed(prompt, true, SamplingParams.greedy()).logits();
    }
    try (CudaBackend b = CudaBackend.upload(w, 0, SETTINGS.precision(), SETTINGS.kvCacheDtype())) {
      gpu = new SingleSequence(b, prompt.length + 1).feed(prompt, true, SamplingParams.greedy()).logits();
    }
    StringBuilder sb = new StringBuilder();
    for (int p = 0; p < prompt.length; p++) sb.append(String.format(" %.2e", GpuConformance.relL2(gpu[p], cpu[p])));
    System.out.println("DIAG " + name + ":" + sb);
    System.out.println("  cpu[0][0..4] " + java.util.Arrays.toString(java.util.Arrays.copyOf(cpu[0], 4))
        + " gpu " + java.util.Arrays.toString(java.util.Arrays.copyOf(gpu[0], 4)));
  }

  static ModelWeights truncate(ModelWeights w, int layers, boolean noAttention, boolean noExperts) {
    ModelConfig c = w.config;
    ModelConfig t = new ModelConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), layers, c.numAttentionHeads(),
        c.numKeyValueHeads(), c.headDim(), c.numLocalExperts(), c.numExpertsPerTok(), c.slidingWindow(), c.rmsNormEps(),
        c.ropeTheta(), c.ropeScaling(), c.swigluLimit(), c.layerTypes().subList(0, layers), c.eosTokenIds(),
        c.padTokenId(), c.maxPositionEmbeddings(), c.quantMethod());
    List<ModelWeights.Layer> ls = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      ModelWeights.Layer x = w.layers.get(l);
      float[] oProj = noAttention ? new float[x.oProj().length] : x.oProj();
      float[] oBias = noAttention ? new float[x.oBias().length] : x.oBias();
      byte[] gub = noExperts ? new byte[x.gateUpBlocks().length] : x.gateUpBlocks();
      byte[] db = noExperts ? new byte[x.downBlocks().length] : x.downBlocks();
      ls.add(new ModelWeights.Layer(x.inputLayernorm(), x.postAttentionLayernorm(), x.qProj(), x.qBias(), x.kProj(),
          x.kBias(), x.vProj(), x.vBias(), oProj, oBias, x.sinks(), x.routerWeight(), x.routerBias(), gub,
          x.gateUpScales(), x.gateUpBias(), db, x.downScales(), x.downBias()));
    }
    return new ModelWeights(t, w.embedTokens, w.norm, w.lmHead, ls);
  }
}
