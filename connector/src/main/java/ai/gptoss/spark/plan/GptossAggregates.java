package ai.gptoss.spark.plan;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;

/**
 * Calls over an aggregate's results are answered after it, once per group, as Spark's
 * {@code ExtractPythonUDFFromAggregate} does for Python UDFs. Spark merges {@code SELECT p, gptoss(p) FROM
 * (SELECT DISTINCT prompt AS p ...)} into one aggregate whose output calls {@code gptoss(p)}; so is
 * {@code SELECT gptoss(max(x)) ... GROUP BY}. Calls in aggregate functions' arguments and in grouping keys
 * stay: they are answered per input row, below the aggregate.
 */
final class GptossAggregates {
  private GptossAggregates() {}

  /** {@code agg}, or a projection that answers the calls over {@code agg}'s results above an aggregate without them. */
  static LogicalPlan callsAfter(Aggregate agg) {
    List<NamedExpression> projection = new ArrayList<>();
    List<NamedExpression> aggregates = new ArrayList<>();
    boolean any = false;
    for (NamedExpression ne : Scala.java(agg.aggregateExpressions())) {
      if (callOverAggregate((Expression) ne, agg)) {
        any = true;
        Expression after = Calls.map((Expression) ne, e -> {
          if (!belongsToAggregate(e, agg)) return null;
          NamedExpression named = e instanceof NamedExpression n ? n : Calls.alias(e, "agg");
          if (aggregates.stream().noneMatch(x -> x.exprId().equals(named.exprId()))) aggregates.add(named);
          return named.toAttribute();
        });
        projection.add((NamedExpression) after);
      } else {
        aggregates.add(ne);
        projection.add(ne.toAttribute());
      }
    }
    if (!any) return agg;
    Aggregate below = new Aggregate(agg.groupingExpressions(), Scala.list(aggregates), agg.child(), agg.hint());
    return new Project(Scala.list(projection), below);
  }

  private static boolean belongsToAggregate(Expression e, Aggregate agg) {
    if (e instanceof AggregateExpression) return true;
    for (Expression g : Scala.java(agg.groupingExpressions())) {
      if (g.semanticEquals(e)) return true;
    }
    return false;
  }

  private static boolean callOverAggregate(Expression expr, Aggregate agg) {
    return expr.exists(e -> e instanceof GptossCall c
        && (c.references().isEmpty() || c.exists(x -> belongsToAggregate(x, agg))));
  }
}
