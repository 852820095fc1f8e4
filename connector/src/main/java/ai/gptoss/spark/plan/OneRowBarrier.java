package ai.gptoss.spark.plan;

import java.util.Objects;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;

/**
 * Returns its child's rows unchanged. {@link GptossAnalysis} puts it over the one-row relation of a scalar
 * subquery that calls {@code gptoss()}, e.g. {@code SELECT id, (SELECT gptoss('...')) FROM t}: Spark's
 * {@code OptimizeOneRowRelationSubquery} would otherwise inline the subquery's expression into the outer
 * query, answering the prompt once per outer row instead of once. {@link GptossStrategy} plans it as its child.
 */
public final class OneRowBarrier extends LogicalPlan {
  private final LogicalPlan child;

  public OneRowBarrier(LogicalPlan child) {
    this.child = child;
  }

  LogicalPlan child() {
    return child;
  }

  @Override
  public Seq<Attribute> output() {
    return child.output();
  }

  @Override
  public scala.Option<Object> maxRows() {
    return child.maxRows();
  }

  @Override
  public Seq<LogicalPlan> children() {
    return Scala.seq(child);
  }

  @Override
  public LogicalPlan withNewChildrenInternal(IndexedSeq<LogicalPlan> newChildren) {
    return new OneRowBarrier(newChildren.apply(0));
  }

  @Override
  public int productArity() {
    return 1;
  }

  @Override
  public Object productElement(int n) {
    if (n == 0) return child;
    throw new IndexOutOfBoundsException(n);
  }

  @Override
  public boolean canEqual(Object that) {
    return that instanceof OneRowBarrier;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OneRowBarrier b && b.child.equals(child);
  }

  @Override
  public int hashCode() {
    return Objects.hash(OneRowBarrier.class, child);
  }
}
