package ai.gptoss.spark.plan;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.LambdaFunction;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.ScalarSubquery;
import org.apache.spark.sql.catalyst.expressions.SortOrder;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.OneRowRelation;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.rules.Rule;

/**
 * Post-hoc resolution rule: moves {@code gptoss()} calls out of the places where Spark's analysis rejects a
 * nondeterministic expression, into a projection below, as Spark does for Python UDFs. The whole expression
 * that holds the call moves (not only the call, as Spark's {@code PullOutNondeterministic} would), so that a
 * condition around the call still decides which rows are answered ({@link CallGuards}).
 * <ul>
 *   <li>in an aggregate function's argument, {@code collect_list(gptoss(p))}, {@code count_if(gptoss(p) = 'x')},
 *       in a grouping key or in a sort key: the call is answered once per input row in a projection below;
 *   <li>in a join condition, {@code a JOIN b ON gptoss(a.p) = b.x}: the call is answered once per row of the
 *       side it reads, in a projection of that side; a call that reads both sides is an error that says how
 *       to rewrite the query;
 *   <li>in a scalar subquery over no table, {@code (SELECT gptoss('...'))}: a {@link OneRowBarrier} keeps the
 *       subquery from being inlined into the outer query, so it is answered once;
 *   <li>in a lambda function ({@code transform(arr, x -> gptoss(x))}): an error that says how to rewrite.
 * </ul>
 */
public final class GptossAnalysis extends Rule<LogicalPlan> {
  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    return rewrite(plan);
  }

  private LogicalPlan rewrite(LogicalPlan p) {
    LogicalPlan q = Plans.withRewrittenChildren(p, this::rewrite);
    q = q.mapExpressions(e -> Calls.map(e, this::subquery));
    if (!q.resolved()) return q;
    for (Expression e : Scala.java(q.expressions())) {
      if (e.exists(x -> x instanceof LambdaFunction l && Calls.in(l.function()))) {
        throw new IllegalArgumentException("gptoss() cannot be called inside a lambda function (transform, filter, "
            + "exists, aggregate, ...), where the rows to answer are not rows of the query: explode the array, "
            + "answer each element with gptoss(), and collect_list() the answers back, in " + e.sql());
      }
    }
    if (q instanceof Aggregate a) return aggregate(a);
    if (q instanceof Sort srt && Calls.in(srt)) return sort(srt);
    if (q instanceof Join j && j.condition().isDefined() && Calls.in(j.condition().get())) return joinCondition(j);
    return q;
  }

  private Expression subquery(Expression e) {
    if (!(e instanceof SubqueryExpression s)) return null;
    LogicalPlan inner = rewrite(s.plan());
    // A correlated one (SELECT gptoss(t.p)) is answered per outer row either way: let Spark inline it.
    if (s instanceof ScalarSubquery sq && sq.outerAttrs().isEmpty() && inner.exists(Calls::in)) inner = barrier(inner);
    return inner == s.plan() ? e : s.withNewPlan(inner);
  }

  private static LogicalPlan barrier(LogicalPlan p) {
    if (p instanceof OneRowBarrier) return p;
    if (p instanceof OneRowRelation) return new OneRowBarrier(p);
    List<LogicalPlan> kids = Scala.java(p.children());
    List<LogicalPlan> newKids = new ArrayList<>();
    boolean changed = false;
    for (LogicalPlan k : kids) {
      LogicalPlan nk = barrier(k);
      changed |= nk != k;
      newKids.add(nk);
    }
    return changed ? p.withNewChildren(Scala.list(newKids)) : p;
  }

  /** Columns added to a projection of {@code child}, one per distinct expression. */
  private static final class Below {
    final LogicalPlan child;
    final List<NamedExpression> projection;
    final List<Expression> keys = new ArrayList<>();
    final List<Attribute> attrs = new ArrayList<>();

    Below(LogicalPlan child) {
      this.child = child;
      this.projection = new ArrayList<>(Scala.java(child.output()));
    }

    Attribute column(Expression e, String name) {
      int at = keys.indexOf(e.canonicalized());
      if (at >= 0) return attrs.get(at);
      Alias al = Calls.alias(e, name);
      projection.add(al);
      keys.add(e.canonicalized());
      attrs.add(al.toAttribute());
      return al.toAttribute();
    }

    LogicalPlan plan() {
      return new Project(Scala.list(projection), child);
    }
  }

  /**
   * Grouping keys and aggregate functions' arguments that call gptoss() become columns of a projection below the
   * aggregate, whole (so that {@code count(CASE WHEN c THEN gptoss(p) END)} answers only the rows where {@code c}
   * holds, see {@link CallGuards}).
   */
  private static LogicalPlan aggregate(Aggregate a) {
    if (!Calls.in(a)) return a;
    Below below = new Below(a.child());
    List<Expression> grouping = new ArrayList<>();
    for (Expression g : Scala.java(a.groupingExpressions())) grouping.add(Calls.in(g) ? below.column(g, "gptoss_key") : g);
    List<NamedExpression> aggregates = new ArrayList<>();
    for (NamedExpression ne : Scala.java(a.aggregateExpressions())) {
      aggregates.add((NamedExpression) Calls.map((Expression) ne, x -> {
        if (x instanceof AggregateExpression ae) return arguments(ae, below);
        int at = Calls.in(x) ? below.keys.indexOf(x.canonicalized()) : -1;
        return at >= 0 ? below.attrs.get(at) : null;
      }));
    }
    if (below.keys.isEmpty()) return a;
    return new Aggregate(Scala.list(grouping), Scala.list(aggregates), below.plan(), a.hint());
  }

  private static Expression arguments(AggregateExpression ae, Below below) {
    List<Expression> args = new ArrayList<>();
    for (Expression c : Scala.java(ae.aggregateFunction().children())) {
      args.add(Calls.in(c) ? below.column(c, "gptoss_arg") : c);
    }
    List<Expression> kids = new ArrayList<>();
    kids.add(ae.aggregateFunction().withNewChildren(Scala.list(args)));
    if (ae.filter().isDefined()) {
      Expression f = ae.filter().get();
      kids.add(Calls.in(f) ? below.column(f, "gptoss_filter") : f);
    }
    return ae.withNewChildren(Scala.list(kids));
  }

  /** Sort keys that call gptoss() become columns of a projection below the sort, whole. */
  private static LogicalPlan sort(Sort s) {
    Below below = new Below(s.child());
    LogicalPlan sorted = s.mapExpressions(e -> Calls.map(e, x -> x instanceof SortOrder || !Calls.in(x) ? null
        : below.column(x, "gptoss_order")));
    return new Project(Scala.list(new ArrayList<NamedExpression>(Scala.java(s.output()))),
        sorted.withNewChildren(Scala.seq(below.plan())));
  }

  /** Calls in a join condition become columns of a projection of the side they read. */
  private static LogicalPlan joinCondition(Join j) {
    LogicalPlan left = j.left(), right = j.right();
    List<GptossCall> calls = Calls.outermost(j.condition().get());
    List<NamedExpression> leftProj = new ArrayList<>(Scala.java(left.output()));
    List<NamedExpression> rightProj = new ArrayList<>(Scala.java(right.output()));
    List<Attribute> attrs = new ArrayList<>();
    for (GptossCall c : calls) {
      Alias al = Calls.alias(c, "gptoss_join_key");
      if (c.references().subsetOf(left.outputSet())) {
        leftProj.add(al);
      } else if (c.references().subsetOf(right.outputSet())) {
        rightProj.add(al);
      } else {
        throw new IllegalArgumentException("gptoss(): " + c.sql() + " in the join condition " + j.condition().get().sql()
            + " reads both sides of the join; a call in a join condition may read one side only. Answer it after the "
            + "join instead: ... JOIN ... ON <the other conditions> WHERE <the condition with gptoss()>");
      }
      attrs.add(al.toAttribute());
    }
    LogicalPlan newLeft = leftProj.size() == left.output().size() ? left : new Project(Scala.list(leftProj), left);
    LogicalPlan newRight = rightProj.size() == right.output().size() ? right : new Project(Scala.list(rightProj), right);
    LogicalPlan joined = j.withNewChildren(Scala.seq(newLeft, newRight)).mapExpressions(e -> replace(e, calls, attrs));
    return new Project(Scala.list(new ArrayList<NamedExpression>(Scala.java(j.output()))), joined);
  }

  static Expression replace(Expression e, List<GptossCall> calls, List<Attribute> attrs) {
    return Calls.map(e, x -> {
      if (!(x instanceof GptossCall c)) return null;
      for (int i = 0; i < calls.size(); i++) {
        if (Calls.same(calls.get(i), c)) return attrs.get(i);
      }
      return null;
    });
  }
}
