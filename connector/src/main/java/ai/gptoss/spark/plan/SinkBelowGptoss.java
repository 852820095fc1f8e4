package ai.gptoss.spark.plan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.And;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.GlobalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LocalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.RepartitionByExpression;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.plans.physical.RangePartitioning;
import scala.Option;

/**
 * After extraction: filters, sorts and limits that do not read an answer move below the {@link GptossEval}
 * nodes (and the projections between them), so that only the rows they keep are answered:
 * {@code df.withColumn("a", gptoss(p)).filter("id > 3").limit(2)} answers 2 rows, {@code ORDER BY id LIMIT 3}
 * answers 3, {@code show(5)} answers the rows it shows. {@link GptossEval} keeps its rows and their order, so
 * each move leaves the result unchanged. (Spark's own pushdown rules do not know the node, and Python UDFs
 * under a limit are answered up to the limit in every partition.)
 *
 * <p>A global sort or a range repartitioning that stays over the answering ({@code ORDER BY gptoss(p)},
 * {@code repartitionByRange(n, col("answer"))}) gets a round-robin shuffle under it: Spark samples a range
 * partitioning's input with a job of its own before the shuffle; the shuffle below is written once and read
 * by both, so each row is answered once. A nondeterministic column ({@code rand()}) is never inlined into a
 * filter or sort that moves below its projection (it would be evaluated twice).
 */
final class SinkBelowGptoss {
  private SinkBelowGptoss() {}

  static LogicalPlan apply(LogicalPlan p) {
    return sink(Plans.withRewrittenChildren(p, SinkBelowGptoss::apply));
  }

  /** Moves {@code q} (a filter, sort or limit) as far below the answering as it can go. */
  private static LogicalPlan sink(LogicalPlan q) {
    boolean sampled = q instanceof Sort s && s.global()
        || q instanceof RepartitionByExpression r && r.partitioning() instanceof RangePartitioning;
    LogicalPlan moved = move(q);
    if (moved != q || !sampled || !reachesEval(q.children().apply(0))) return moved;
    return belowSampledPartitioning(q);
  }

  private static LogicalPlan move(LogicalPlan q) {
    if (!(q instanceof Filter || q instanceof Sort || q instanceof LocalLimit || q instanceof GlobalLimit)) return q;
    LogicalPlan child = q.children().apply(0);
    if (!reachesEval(child)) return q;
    if (child instanceof GptossEval e) {
      if (q instanceof Filter f) {
        List<Expression> down = new ArrayList<>(), up = new ArrayList<>();
        for (Expression c : conjuncts(f.condition())) {
          (c.deterministic() && !c.references().contains(e.result()) ? down : up).add(c);
        }
        if (down.isEmpty()) return q;
        LogicalPlan below = e.withNewChildren(Scala.seq(sink(new Filter(all(down), e.child()))));
        return up.isEmpty() ? below : new Filter(all(up), below);
      }
      if (q.references().contains(e.result())) return q;
      return e.withNewChildren(Scala.seq(sink(q.withNewChildren(Scala.seq(e.child())))));
    }
    if (child instanceof Project proj) {
      Map<ExprId, Expression> defs = new HashMap<>();
      for (NamedExpression ne : Scala.java(proj.projectList())) {
        if (ne instanceof Alias a) defs.put(a.exprId(), a.child());
      }
      if (q instanceof Filter f) {
        List<Expression> down = new ArrayList<>(), up = new ArrayList<>();
        for (Expression c : conjuncts(f.condition())) {
          Expression inlined = inline(c, defs);
          if (inlined != null && c.deterministic()) down.add(inlined); else up.add(c);
        }
        if (down.isEmpty()) return q;
        LogicalPlan below = proj.withNewChildren(Scala.seq(sink(new Filter(all(down), proj.child()))));
        return up.isEmpty() ? below : new Filter(all(up), below);
      }
      LogicalPlan moved = q.mapExpressions(x -> {
        Expression inlined = inline(x, defs);
        return inlined == null ? x : inlined;
      });
      if (q instanceof Sort && !inlinable(q, defs)) return q;
      return proj.withNewChildren(Scala.seq(sink(moved.withNewChildren(Scala.seq(proj.child())))));
    }
    return q;
  }

  /**
   * A global sort or range repartitioning over answers: a round-robin shuffle below it, so that the job in
   * which Spark samples its input reads the shuffle instead of answering again.
   */
  private static LogicalPlan belowSampledPartitioning(LogicalPlan q) {
    LogicalPlan child = q.children().apply(0);
    return q.withNewChildren(Scala.seq(new RepartitionByExpression(Scala.seq(), child, Option.empty(), Option.empty())));
  }

  private static boolean inlinable(LogicalPlan q, Map<ExprId, Expression> defs) {
    for (Expression e : Scala.java(q.expressions())) {
      if (inline(e, defs) == null) return false;
    }
    return true;
  }

  /** {@code e} over the projection's input (its aliases replaced by their deterministic definitions), or null. */
  private static Expression inline(Expression e, Map<ExprId, Expression> defs) {
    boolean[] ok = {true};
    Expression r = Calls.map(e, x -> {
      if (!(x instanceof Attribute a) || !defs.containsKey(a.exprId())) return null;
      Expression d = defs.get(a.exprId());
      if (!d.deterministic()) ok[0] = false;
      return d;
    });
    return ok[0] ? r : null;
  }

  /** Whether {@code p} is an answering node, or projections, filters, sorts or limits over one. */
  private static boolean reachesEval(LogicalPlan p) {
    while (true) {
      if (p instanceof GptossEval) return true;
      if (!(p instanceof Project || p instanceof Filter || p instanceof Sort || p instanceof LocalLimit
          || p instanceof GlobalLimit)) {
        return false;
      }
      p = p.children().apply(0);
    }
  }

  /**
   * {@code p} with {@code a} (a column of a node below, reached through projections, filters, sorts, limits
   * and answering nodes) added to its output.
   */
  static LogicalPlan expose(LogicalPlan p, Attribute a) {
    if (p.outputSet().contains(a)) return p;
    LogicalPlan child = expose(p.children().apply(0), a);
    if (p instanceof Project proj) {
      List<NamedExpression> list = new ArrayList<>(Scala.java(proj.projectList()));
      list.add(a);
      return new Project(Scala.list(list), child);
    }
    return p.withNewChildren(Scala.seq(child));
  }

  static List<Expression> conjuncts(Expression e) {
    List<Expression> out = new ArrayList<>();
    if (e instanceof And a) {
      out.addAll(conjuncts(a.left()));
      out.addAll(conjuncts(a.right()));
    } else {
      out.add(e);
    }
    return out;
  }

  static Expression all(List<Expression> conjuncts) {
    Expression e = conjuncts.get(0);
    for (int i = 1; i < conjuncts.size(); i++) e = new And(e, conjuncts.get(i));
    return e;
  }
}
