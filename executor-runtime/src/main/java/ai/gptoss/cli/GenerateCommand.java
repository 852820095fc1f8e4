package ai.gptoss.cli;

import ai.gptoss.backend.Backend;
import ai.gptoss.batch.MaxNewTokens;
import ai.gptoss.batch.RequestLine;
import ai.gptoss.batch.StopTokens;
import ai.gptoss.engine.Engine;
import ai.gptoss.engine.EngineConfig;
import ai.gptoss.engine.EngineSettings;
import ai.gptoss.engine.FinishReason;
import ai.gptoss.engine.GenerationRequest;
import ai.gptoss.engine.GenerationResult;
import ai.gptoss.harmony.ChatOptions;
import ai.gptoss.structured.ResponseFormat;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gptoss generate --input-ids 1,2,3}: one generation, printed as JSON; or
 * {@code gptoss generate --input IN.jsonl --output OUT.jsonl}: a whole file through one engine with
 * continuous batching, one result line per input line, in input order. Both run through the
 * {@link Engine}.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {
        "Generates from --input-ids, or from every line of an --input JSONL file into --output.",
        "",
        "--input-ids: prints {\"output_ids\": [...], \"finish_reason\": ...}. --input: each line is {\"id\": ...,",
        "\"input_ids\": [...]}, {\"prompt\": \"a user message\"} or {\"messages\": [chat]}, plus optional max_new_tokens,",
        "temperature, top_p, top_k, seed, response_format, and for messages reasoning_effort, instructions, date, tools; each output line",
        "is {\"id\", \"output_ids\", \"finish_reason\", \"prompt_tokens\", \"completion_tokens\", \"cached_tokens\",",
        "\"error\", \"final\", \"analysis\", \"text\"}, in input order, one per input line (final/analysis/text",
        "for models with the harmony vocabulary), plus \"value\" (the answer's JSON) for lines with a response_format.",
        "Options below are the defaults for lines that omit them."})
final class GenerateCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(names = "--input-ids", paramLabel = "IDS", split = ",",
      description = "Comma-separated prompt token ids (one generation).")
  int[] inputIds;

  @Option(names = "--input", paramLabel = "IN.jsonl", description = "Batch mode: a JSONL file of requests.")
  Path input;

  @Option(names = "--output", paramLabel = "OUT.jsonl",
      description = "Batch mode: where results go ('-' for stdout). Written as .OUT.jsonl.partial beside it and renamed "
          + "when complete, so a killed run never leaves a cut-off file under this name.")
  String output;

  @Mixin SamplingOptions sampling;
  int maxNewTokens;

  @Mixin ResponseFormatOption responseFormat;

  @Option(names = "--max-tokens-per-step", defaultValue = "0",
      description = "Engine token budget per step (prompt chunks + decode tokens). Default: 0 = the device's: "
          + "2048 on the CPU; on a GPU vLLM's offline defaults, 16384 on GPUs of >= 70 GiB but the A100, else 8192.")
  int maxTokensPerStep;

  @Option(names = "--max-seqs-per-step", defaultValue = "0",
      description = "Most sequences in one step. Default: 0 = the device's: 256 on the CPU; on a GPU 1024 "
          + "(>= 70 GiB but the A100) or 256.")
  int maxSeqsPerStep;

  @Option(names = "--max-model-len", defaultValue = "0",
      description = "Most tokens (prompt + generated) per request. Default: the model's max_position_embeddings.")
  int maxModelLen;

  @Option(names = "--prefix-caching", defaultValue = "true", arity = "1", paramLabel = "true|false",
      description = "Reuse the K/V of prompt prefixes computed before (automatic prefix caching; outputs are the same "
          + "either way); each result reports cached_tokens. Default: ${DEFAULT-VALUE}.")
  boolean prefixCaching;

  @Option(names = "--ignore-eos",
      description = "Ignore stop tokens: every request generates exactly its max_new_tokens (or until the context is "
          + "full), as vLLM's ignore_eos; for benchmarks.")
  boolean ignoreEos;

  @Option(names = "--benchmark",
      description = "Batch mode: afterwards, run the same requests one at a time and report both tokens/s on stderr.")
  boolean benchmark;

  @Override
  public Integer call() throws Exception {
    if ((inputIds == null) == (input == null)) throw new IllegalArgumentException("give either --input-ids 1,2,3 or --input IN.jsonl");
    if (input != null && output == null) throw new IllegalArgumentException("--input needs --output OUT.jsonl (or '-' for stdout)");
    if (input == null && (output != null || benchmark)) {
      throw new IllegalArgumentException("--output and --benchmark belong to batch mode (--input IN.jsonl)");
    }
    maxNewTokens = sampling.maxNewTokens();
    ResponseFormat format = responseFormat.responseFormat();
    if (maxTokensPerStep < 0) throw new IllegalArgumentException("--max-tokens-per-step must be 0 (the device's) or more, got " + maxTokensPerStep);
    if (maxSeqsPerStep < 0) throw new IllegalArgumentException("--max-seqs-per-step must be 0 (the device's) or more, got " + maxSeqsPerStep);
    if (maxModelLen < 0) throw new IllegalArgumentException("--max-model-len must not be negative, got " + maxModelLen);
    EngineSettings settings = model.settings(maxSeqsPerStep, maxTokensPerStep, prefixCaching);
    EngineConfig cfg = settings.engineConfig().withMaxModelLen(maxModelLen);
    try (Backend b = settings.open(model.modelDir()); Engine engine = Engine.start(b, cfg)) {
      return input != null ? batch(engine, format) : single(engine, format);
    }
  }

  private int single(Engine engine, ResponseFormat format) throws IOException {
    GenerationResult r = engine.submit(new GenerationRequest("--input-ids", inputIds, MaxNewTokens.forRequest(maxNewTokens),
        stopTokens(engine), sampling.sampling(), format)).result().join();
    if (r.finishReason() == FinishReason.ERROR) throw new IllegalArgumentException(r.error().replaceFirst("^request ", ""));
    ObjectMapper json = new ObjectMapper();
    ObjectNode o = json.createObjectNode();
    ArrayNode arr = o.putArray("output_ids");
    for (int id : r.outputIds()) arr.add(id);
    o.put("finish_reason", r.finishReason().wireName());
    o.put("cached_tokens", r.cachedTokens());
    if (r.finishReason() == FinishReason.LENGTH && !ignoreEos) {
      o.put("error", MaxNewTokens.truncation(MaxNewTokens.forRequest(maxNewTokens), r.completionTokens()));
    }
    System.out.println(json.writeValueAsString(o));
    return 0;
  }

  private int batch(Engine engine, ResponseFormat format) throws IOException {
    var config = engine.backend().config();
    RequestLine parser = new RequestLine(sampling.lineDefaults(format), stopTokens(engine));
    boolean harmony = StopTokens.speaksHarmony(config);
    if (harmony) parser = parser.withHarmony(ChatOptions.DEFAULTS);
    if (!output.equals("-") && Files.exists(Path.of(output)) && Files.exists(input)
        && Files.isSameFile(input, Path.of(output))) {
      throw new IllegalArgumentException("--output " + output + " is the --input file; write the results elsewhere");
    }
    int total = countLines(input);
    BatchRun run = new BatchRun(engine, parser, Math.max(64, 2 * engine.config().maxSeqsPerStep()), System.err, benchmark, harmony);
    BatchRun.Summary s;
    Path target = output.equals("-") ? null : Path.of(output).toAbsolutePath();
    Path partial = target == null ? null : target.resolveSibling("." + target.getFileName() + ".partial");
    try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8); Writer out = openOutput(partial)) {
      s = run.run(in, out, total);
    } catch (IOException | RuntimeException | Error e) {
      if (partial != null) Files.deleteIfExists(partial);
      throw e;
    }
    // Complete: only now does the file appear under its name (a killed run leaves at most the .partial file).
    if (target != null) Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.err.printf(java.util.Locale.ROOT, "generate: %d requests in %.1f s (%s), %.1f tokens/s%n", s.lines(), s.seconds(),
        s.reasons(), s.tokensPerSecond());
    if (benchmark) Benchmark.oneAtATime(engine, s, System.err);
    return 0;
  }

  /** The model's stop tokens ({@link StopTokens}), none with {@code --ignore-eos}. */
  private List<Integer> stopTokens(Engine engine) {
    return ignoreEos ? List.of() : StopTokens.of(engine.backend().config());
  }

  /** stdout for {@code -}, else {@code partial}, renamed to the output's name once the run is complete. */
  private Writer openOutput(Path partial) throws IOException {
    if (partial == null) {
      return new OutputStreamWriter(System.out, StandardCharsets.UTF_8) {
        @Override
        public void close() throws IOException {
          flush(); // leave stdout open
        }
      };
    }
    return Files.newBufferedWriter(partial, StandardCharsets.UTF_8);
  }

  private static int countLines(Path file) throws IOException {
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      return (int) lines.count();
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("--input " + file + ": no such file");
    }
  }
}
