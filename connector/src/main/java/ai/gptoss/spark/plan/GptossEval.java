package ai.gptoss.spark.plan;

import ai.gptoss.spark.GptossOptions;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.Option;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;

/**
 * Logical node: evaluates one {@code gptoss()} call over every row of its child and appends the result
 * as {@code result} (like Spark's {@code ArrowEvalPython} for pandas UDFs). {@code input} is an attribute
 * of the child's output; its output is the child's output followed by {@code result}.
 */
public final class GptossEval extends LogicalPlan {
  private final EvalArgs args;
  private final LogicalPlan child;

  public GptossEval(Attribute input, GptossOptions options, Attribute result, Option<Attribute> when, LogicalPlan child) {
    this.args = new EvalArgs(input, options, result, when);
    this.child = child;
  }

  Attribute input() {
    return args.input();
  }

  GptossOptions options() {
    return args.options();
  }

  Attribute result() {
    return args.result();
  }

  /** The child's boolean column that says which rows to answer (the others get null), if any. */
  Option<Attribute> when() {
    return args.when();
  }

  LogicalPlan child() {
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

  @Override
  public String simpleString(int maxFields) {
    return nodeName() + " " + args.describe();
  }

  @Override
  public Seq<LogicalPlan> children() {
    return Scala.seq(child);
  }

  @Override
  public LogicalPlan withNewChildrenInternal(IndexedSeq<LogicalPlan> newChildren) {
    return new GptossEval(input(), options(), result(), when(), newChildren.apply(0));
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
    return that instanceof GptossEval;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GptossEval g && g.args.equals(args) && g.child.equals(child);
  }

  @Override
  public int hashCode() {
    return args.hash(child);
  }
}
