package ai.gptoss.spark.plan;

import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.exec.InputKind;
import ai.gptoss.spark.exec.ResultSchema;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.analysis.TypeCheckResult;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Unevaluable;
import org.apache.spark.sql.catalyst.expressions.UserDefinedExpression;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenContext;
import org.apache.spark.sql.catalyst.expressions.codegen.ExprCode;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.DataType;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code gptoss(input)} in a logical plan. Never evaluated row by row: {@link ExtractGptossCalls}
 * replaces it with an attribute computed by a {@link GptossEval} node, which the planner turns into the
 * batched {@link GptossEvalExec}. It is {@link Unevaluable}, so Spark never tries to fold it on the driver
 * (e.g. over a local relation). {@link GptossAnalysis} moves the expressions that hold it out of aggregate
 * functions' arguments, grouping and sort keys and join conditions into projections below; as a nondeterministic
 * {@link UserDefinedExpression}, Spark's own {@code PullOutNondeterministic} would move any call left there.
 */
public final class GptossCall extends Expression implements Unevaluable, UserDefinedExpression {
  private final Expression input;
  private final TreeMap<String, String> functionOptions;
  private final DataType resultType;

  /**
   * @param functionOptions the options given to the function (validated here, so that a bad key or value
   *     fails at analysis); the session conf is applied when the call is planned ({@link #resolveOptions})
   * @param resultType the result's type ({@link ResultSchema#dataType}: {@code output} and {@code response_format}
   *     decide it); fixed here because it must be known during analysis
   */
  public GptossCall(Expression input, Map<String, String> functionOptions, DataType resultType) {
    this.input = input;
    this.functionOptions = new TreeMap<>(functionOptions);
    this.resultType = resultType;
  }

  /** Builds a call from the function's options, with {@code output} and {@code response_format} resolved against the active session. */
  public static GptossCall create(Expression input, Map<String, String> functionOptions) {
    GptossOptions resolved = GptossOptions.resolve(functionOptions, GptossCall::sessionValue);
    checkOnDriver(resolved);
    return new GptossCall(input, functionOptions, ResultSchema.dataType(resolved));
  }

  /** Checks the session's {@code spark.gptoss.*} keys and the model, on the driver ({@link ModelCheck}). */
  private static void checkOnDriver(GptossOptions o) {
    GptossOptions.checkSessionKeys(CollectionConverters.asJava(SQLConf.get().getAllConfs()).keySet());
    ModelCheck.onDriver(o.model());
  }

  static String sessionValue(String key) {
    return SQLConf.get().getConfString(key, null);
  }

  /** Function options over the active session's {@code spark.gptoss.*} over defaults; the model checked ({@link ModelCheck}). */
  GptossOptions resolveOptions() {
    GptossOptions o = GptossOptions.resolve(functionOptions, GptossCall::sessionValue);
    if (!ResultSchema.dataType(o).equals(resultType)) {
      throw new IllegalStateException("spark.gptoss.output or spark.gptoss.response_format changed between analysis and "
          + "planning of " + sql());
    }
    checkOnDriver(o);
    return o;
  }

  Expression input() {
    return input;
  }

  Map<String, String> functionOptions() {
    return functionOptions;
  }

  InputKind kind() {
    return InputKind.of(input.dataType());
  }

  @Override
  public DataType dataType() {
    return resultType;
  }

  @Override
  public boolean nullable() {
    return true;
  }

  /**
   * Reported as nondeterministic although seeded calls are reproducible: Catalyst then never moves the
   * call past a {@code LIMIT} (which would generate answers for rows the limit drops), never duplicates it
   * when collapsing projections, and never re-evaluates it for pushed-down filters.
   */
  @Override
  public boolean deterministic() {
    return false;
  }

  @Override
  public boolean foldable() {
    return false;
  }

  @Override
  public String prettyName() {
    return "gptoss";
  }

  @Override
  public String name() {
    return "gptoss";
  }

  /** {@code gptoss(prompt#2)}, or {@code gptoss(prompt#2, {max_new_tokens=32})} with function options. */
  @Override
  public String toString() {
    return "gptoss(" + input + (functionOptions.isEmpty() ? "" : ", " + functionOptions) + ")";
  }

  @Override
  public TypeCheckResult checkInputDataTypes() {
    if (InputKind.of(input.dataType()) == null) {
      return new TypeCheckResult.TypeCheckFailure("gptoss() takes " + InputKind.EXPECTED + ", but "
          + input.sql() + " is " + input.dataType().simpleString());
    }
    return TypeCheckResult.TypeCheckSuccess$.MODULE$;
  }

  private UnsupportedOperationException notPlanned() {
    return new UnsupportedOperationException("gptoss() was not planned as a batched operator: add "
        + GptossConf.EXTENSIONS_CLASS + " to spark.sql.extensions");
  }

  @Override
  public Object eval(InternalRow row) {
    throw notPlanned();
  }

  @Override
  public ExprCode doGenCode(CodegenContext ctx, ExprCode ev) {
    throw notPlanned();
  }

  @Override
  public Seq<Expression> children() {
    return Scala.seq(input);
  }

  @Override
  public Expression withNewChildrenInternal(IndexedSeq<Expression> newChildren) {
    return new GptossCall(newChildren.apply(0), functionOptions, resultType);
  }

  @Override
  public int productArity() {
    return 3;
  }

  @Override
  public Object productElement(int n) {
    return switch (n) {
      case 0 -> input;
      case 1 -> functionOptions;
      case 2 -> resultType;
      default -> throw new IndexOutOfBoundsException(n);
    };
  }

  @Override
  public boolean canEqual(Object that) {
    return that instanceof GptossCall;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GptossCall g && g.input.equals(input) && g.functionOptions.equals(functionOptions) && g.resultType.equals(resultType);
  }

  @Override
  public int hashCode() {
    return Objects.hash(input, functionOptions, resultType);
  }
}
