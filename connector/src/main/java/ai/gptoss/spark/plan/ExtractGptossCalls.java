package ai.gptoss.spark.plan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.GlobalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LocalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.types.Metadata;
import scala.Option;

/**
 * Optimizer rule (injected as a pre-CBO rule, after operator optimization) that pulls every
 * {@code gptoss()} call out of the operator that holds it, the way Spark's {@code ExtractPythonUDFs}
 * does for Python UDFs: the call's input is projected as a column of the child, a {@link GptossEval}
 * node computes the answer column from it, the operator reads that column instead, and a projection
 * restores the operator's original output. Beyond what Spark does for Python UDFs:
 * <ul>
 *   <li>calls over an aggregate's results ({@code gptoss(max(x))}, or over a grouping key after
 *       {@code DISTINCT}) are answered in a projection above the aggregate, once per group
 *       ({@code ExtractPythonUDFFromAggregate});
 *   <li>a call evaluated only under a condition ({@code CASE}, {@code IF}, {@code coalesce}, the right side
 *       of {@code AND}/{@code OR}) answers only the rows where it is evaluated ({@link CallGuards});
 *   <li>a filter's conjuncts without calls are applied before any call is answered;
 *   <li>a call whose answer an operator below already computed for the same rows (the same call in
 *       {@code WHERE} and {@code SELECT}) reuses that answer;
 *   <li>filters, sorts and limits that do not read an answer then move below the answering
 *       ({@link SinkBelowGptoss}).
 * </ul>
 * Nested calls ({@code gptoss(gptoss(x))}) give stacked nodes, innermost first.
 */
public final class ExtractGptossCalls extends Rule<LogicalPlan> {
  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    return SinkBelowGptoss.apply(new Extraction().rewrite(plan));
  }

  /** One run of the rule (a rule instance serves a session's concurrent queries). */
  private static final class Extraction {
    /** The call each {@link GptossEval} of this run answers, and its guard (absent: every row), by result id. */
    private final Map<ExprId, GptossCall> answered = new HashMap<>();
    private final Map<ExprId, Expression> guards = new HashMap<>();

    LogicalPlan rewrite(LogicalPlan p) {
      LogicalPlan q = Plans.withRewrittenChildren(p, this::rewrite);
      if (q instanceof GptossEval || !Calls.in(q)) return q;
      if (q instanceof Aggregate a) {
        LogicalPlan split = GptossAggregates.callsAfter(a);
        if (split instanceof Project proj && proj.child() instanceof Aggregate below) {
          return extractAll(proj.withNewChildren(Scala.seq(Calls.in(below) ? extractAll(below) : below)));
        }
      }
      return extractAll(q);
    }

    private LogicalPlan extractAll(LogicalPlan q) {
      LogicalPlan node = q;
      if (node instanceof Filter f) node = cheapConjunctsFirst(f);
      while (Calls.in(node)) {
        LogicalPlan next = extractReady(node);
        if (next == node) throw new IllegalStateException("gptoss(): could not extract the calls of " + q.simpleStringWithNodeId());
        node = next;
      }
      if (!node.output().equals(q.output())) {
        node = new Project(Scala.list(new ArrayList<NamedExpression>(Scala.java(q.output()))), node);
      }
      return node;
    }

    /** {@code WHERE cheap AND gptoss(...) = 'x'}: the deterministic conjuncts without calls filter first. */
    private static LogicalPlan cheapConjunctsFirst(Filter f) {
      List<Expression> cheap = new ArrayList<>(), rest = new ArrayList<>();
      for (Expression c : SinkBelowGptoss.conjuncts(f.condition())) {
        (c.deterministic() && !Calls.in(c) ? cheap : rest).add(c);
      }
      if (cheap.isEmpty()) return f;
      return new Filter(SinkBelowGptoss.all(rest), new Filter(SinkBelowGptoss.all(cheap), f.child()));
    }

    /** Extracts the calls of {@code p} whose input and guard hold no other call. */
    private LogicalPlan extractReady(LogicalPlan p) {
      List<LogicalPlan> kids = Scala.java(p.children());
      if (kids.size() != 1) {
        throw new UnsupportedOperationException("gptoss() can only be used in an operator with one input ("
            + p.nodeName() + " has " + kids.size() + "); compute it in a projection first");
      }
      List<CallGuards.Guarded> ready = new ArrayList<>();
      for (CallGuards.Guarded g : CallGuards.of(Scala.java(p.expressions()))) {
        if (!Calls.in(g.call().input()) && (g.guard() == null || !Calls.in(g.guard()))) ready.add(g);
      }
      LogicalPlan child = kids.get(0);
      List<GptossCall> calls = new ArrayList<>();
      List<Attribute> results = new ArrayList<>();
      List<CallGuards.Guarded> fresh = new ArrayList<>();
      for (CallGuards.Guarded g : ready) {
        Attribute earlier = answeredBelow(child, g);
        if (earlier != null) {
          child = SinkBelowGptoss.expose(child, earlier);
          calls.add(g.call());
          results.add(earlier);
        } else {
          fresh.add(g);
        }
      }
      List<NamedExpression> projection = new ArrayList<>(Scala.java(child.output()));
      List<Attribute> inputs = new ArrayList<>(), whens = new ArrayList<>();
      for (int i = 0; i < fresh.size(); i++) {
        inputs.add(column(fresh.get(i).call().input(), "gptoss_input_" + i, child, projection));
        Expression guard = fresh.get(i).guard();
        whens.add(guard == null ? null : column(guard, "gptoss_when_" + i, child, projection));
      }
      LogicalPlan newChild = projection.size() == child.output().size() ? child : new Project(Scala.list(projection), child);
      for (int i = 0; i < fresh.size(); i++) {
        GptossCall c = fresh.get(i).call();
        Attribute result = new AttributeReference("gptoss_" + answered.size(), c.dataType(), true, Metadata.empty(),
            NamedExpression.newExprId(), Scala.seq());
        answered.put(result.exprId(), c);
        if (fresh.get(i).guard() != null) guards.put(result.exprId(), fresh.get(i).guard().canonicalized());
        newChild = new GptossEval(inputs.get(i), c.resolveOptions(), result, Option.apply(whens.get(i)), newChild);
        calls.add(c);
        results.add(result);
      }
      LogicalPlan withChild = p.withNewChildren(Scala.seq(newChild));
      return withChild.mapExpressions(e -> GptossAnalysis.replace(e, calls, results));
    }

    private static Attribute column(Expression e, String name, LogicalPlan child, List<NamedExpression> projection) {
      if (e instanceof Attribute a && child.outputSet().contains(a)) return a;
      Alias alias = Calls.alias(e, name);
      projection.add(alias);
      return alias.toAttribute();
    }

    /**
     * The answer column of the same call that a {@link GptossEval} below computed for these very rows: reached
     * through operators that keep each row's columns together (projections, filters, sorts, limits), and
     * computed on every row this call needs (no guard, or the same guard).
     */
    private Attribute answeredBelow(LogicalPlan p, CallGuards.Guarded g) {
      while (true) {
        if (p instanceof GptossEval e) {
          GptossCall c = answered.get(e.result().exprId());
          Expression guard = guards.get(e.result().exprId());
          if (c != null && Calls.same(c, g.call())
              && (guard == null || (g.guard() != null && guard.equals(g.guard().canonicalized())))) {
            return e.result();
          }
        } else if (!(p instanceof Project || p instanceof Filter || p instanceof Sort || p instanceof LocalLimit
            || p instanceof GlobalLimit)) {
          return null;
        }
        p = p.children().apply(0);
      }
    }
  }
}
