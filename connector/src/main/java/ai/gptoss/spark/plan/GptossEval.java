package ai.gptoss.spark.plan;

import ai.gptoss.spark.GptossOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
  private final Attribute input;
  private final GptossOptions options;
  private final Attribute result;
  private final Option<Attribute> when;
  private final LogicalPlan child;

  public GptossEval(Attribute input, GptossOptions options, Attribute result, Option<Attribute> when, LogicalPlan child) {
    this.input = input;
    this.options = options;
    this.result = result;
    this.when = when;
    this.child = child;
  }

  Attribute input() {
    return input;
  }

  GptossOptions options() {
    return options;
  }

  Attribute result() {
    return result;
  }

  /** The child's boolean column that says which rows to answer (the others get null), if any. */
  Option<Attribute> when() {
    return when;
  }

  LogicalPlan child() {
    return child;
  }

  @Override
  public Seq<Attribute> output() {
    List<Attribute> out = new ArrayList<>(Scala.java(child.output()));
    out.add(result);
    return Scala.list(out);
  }

  @Override
  public AttributeSet producedAttributes() {
    return AttributeSet.apply(result);
  }

  @Override
  public String simpleString(int maxFields) {
    return nodeName() + " " + describe(input, options, result, when);
  }

  /** {@code gptoss(prompt#1, {max_new_tokens=24}) AS gptoss_0#5 WHEN gptoss_when_0#4}. */
  static String describe(Attribute input, GptossOptions options, Attribute result, Option<Attribute> when) {
    return "gptoss(" + input + ", " + options + ") AS " + result + (when.isDefined() ? " WHEN " + when.get() : "");
  }

  @Override
  public Seq<LogicalPlan> children() {
    return Scala.seq(child);
  }

  @Override
  public LogicalPlan withNewChildrenInternal(IndexedSeq<LogicalPlan> newChildren) {
    return new GptossEval(input, options, result, when, newChildren.apply(0));
  }

  @Override
  public int productArity() {
    return 5;
  }

  @Override
  public Object productElement(int n) {
    return switch (n) {
      case 0 -> input;
      case 1 -> options;
      case 2 -> result;
      case 3 -> when;
      case 4 -> child;
      default -> throw new IndexOutOfBoundsException(n);
    };
  }

  @Override
  public boolean canEqual(Object that) {
    return that instanceof GptossEval;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GptossEval g && g.input.equals(input) && g.options.equals(options) && g.result.equals(result)
        && g.when.equals(when) && g.child.equals(child);
  }

  @Override
  public int hashCode() {
    return Objects.hash(input, options, result, when, child);
  }
}
