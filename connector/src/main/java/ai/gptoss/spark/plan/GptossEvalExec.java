package ai.gptoss.spark.plan;

import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.exec.GptossPartitionEvaluator;
import ai.gptoss.spark.exec.InputKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.SortOrder;
import org.apache.spark.sql.catalyst.plans.physical.Partitioning;
import org.apache.spark.sql.execution.ExplainUtils;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;
import org.apache.spark.sql.types.DataType;
import scala.Option;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;

/**
 * Physical operator of {@link GptossEval}: streams each partition's rows into the executor's resident
 * engine ({@link GptossPartitionEvaluator}) and appends the answer column, keeping row order. Shows rows,
 * engine requests, prompt and generated tokens, bad rows, per-task tokens/s and mean engine batch size as SQL metrics in
 * the Spark UI.
 */
public final class GptossEvalExec extends SparkPlan {
  /** The SQL metric of the rows submitted to the engine (rows a downstream LIMIT cancels included). */
  static final String ENGINE_REQUESTS = "gptoss engine requests";
  /** The SQL metric of prompt tokens the engine served from its prefix cache (vLLM's num_cached_tokens). */
  static final String CACHED_TOKENS = "prompt tokens from the prefix cache";

  private final EvalArgs args;
  private final SparkPlan child;
  private transient scala.collection.immutable.Map<String, SQLMetric> metrics;

  public GptossEvalExec(Attribute input, GptossOptions options, Attribute result, Option<Attribute> when, SparkPlan child) {
    this.args = new EvalArgs(input, options, result, when);
    this.child = child;
  }

  Option<Attribute> when() {
    return args.when();
  }

  SparkPlan child() {
    return child;
  }

  @Override
  public Seq<Attribute> output() {
    return args.output(child.output());
  }

  @Override
  public AttributeSet producedAttributes() {
    return args.produced();
  }

  /** Rows keep their partition and their order. */
  @Override
  public Partitioning outputPartitioning() {
    return child.outputPartitioning();
  }

  @Override
  public Seq<SortOrder> outputOrdering() {
    return child.outputOrdering();
  }

  @Override
  public scala.collection.immutable.Map<String, SQLMetric> metrics() {
    if (metrics == null) {
      Map<String, SQLMetric> m = new LinkedHashMap<>();
      m.put("numOutputRows", SQLMetrics.createMetric(sparkContext(), "number of output rows"));
      m.put("engineRequests", SQLMetrics.createMetric(sparkContext(), ENGINE_REQUESTS));
      m.put("promptTokens", SQLMetrics.createMetric(sparkContext(), "prompt tokens"));
      m.put("generatedTokens", SQLMetrics.createMetric(sparkContext(), "generated tokens"));
      m.put("cachedTokens", SQLMetrics.createMetric(sparkContext(), CACHED_TOKENS));
      m.put("badRows", SQLMetrics.createMetric(sparkContext(), "rows with errors"));
      m.put("truncatedRows", SQLMetrics.createMetric(sparkContext(), "rows truncated"));
      m.put("tokensPerSecond", SQLMetrics.createAverageMetric(sparkContext(), "generated tokens/s per task"));
      m.put("engineBatchSize", SQLMetrics.createAverageMetric(sparkContext(), "mean engine batch size"));
      metrics = scala.collection.immutable.Map.from(CollectionConverters.asScala(m));
    }
    return metrics;
  }

  public SQLMetric metric(String name) {
    return metrics().apply(name);
  }

  @Override
  public RDD<InternalRow> doExecute() {
    Attribute input = args.input();
    int ordinal = ordinal(input);
    int whenOrdinal = args.when().isDefined() ? ordinal(args.when().get()) : -1;
    List<Attribute> out = Scala.java(output());
    DataType[] outTypes = new DataType[out.size()];
    for (int i = 0; i < outTypes.length; i++) outTypes[i] = out.get(i).dataType();
    InputKind kind = InputKind.of(input.dataType());
    GptossPartitionEvaluator.Factory factory = new GptossPartitionEvaluator.Factory(args.options(), kind, ordinal, whenOrdinal,
        input.dataType(), outTypes, metric("numOutputRows"), metric("engineRequests"), metric("promptTokens"),
        metric("generatedTokens"), metric("cachedTokens"), metric("badRows"), metric("truncatedRows"), metric("tokensPerSecond"),
        metric("engineBatchSize"));
    return child.execute().mapPartitionsWithEvaluator(factory, ClassTag$.MODULE$.apply(InternalRow.class));
  }

  private int ordinal(Attribute a) {
    List<Attribute> childOut = Scala.java(child.output());
    for (int i = 0; i < childOut.size(); i++) {
      if (childOut.get(i).exprId().equals(a.exprId())) return i;
    }
    throw new IllegalStateException("gptoss column " + a + " is not in the child's output " + childOut);
  }

  @Override
  public String simpleString(int maxFields) {
    return nodeName() + " " + args.describe();
  }

  @Override
  public String verboseStringWithOperatorId() {
    return "\n" + formattedNodeName() + "\n" + ExplainUtils.generateFieldString("Input", child.output()) + "\n"
        + ExplainUtils.generateFieldString("Output", output()) + "\n"
        + ExplainUtils.generateFieldString("Arguments", args.describe()) + "\n";
  }

  @Override
  public Seq<SparkPlan> children() {
    return Scala.seq(child);
  }

  @Override
  public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> newChildren) {
    return new GptossEvalExec(args.input(), args.options(), args.result(), args.when(), newChildren.apply(0));
  }

  @Override
  public int productArity() {
    return EvalArgs.PRODUCT_ARITY;
  }

  @Override
  public Object productElement(int n) {
    return args.element(n, child);
  }

  @Override
  public boolean canEqual(Object that) {
    return that instanceof GptossEvalExec;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GptossEvalExec g && g.args.equals(args) && g.child.equals(child);
  }

  @Override
  public int hashCode() {
    return args.hash(child);
  }
}
