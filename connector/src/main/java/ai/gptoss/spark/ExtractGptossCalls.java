package ai.gptoss.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.plans.logical.GlobalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LocalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.types.Metadata;
import scala.Option;

/**
 * Optimizer rule (injected as a pre-CBO rule, after operator optimization) that pulls every
 * {@code gptoss()} call out of the operator that holds it, the way Spark's {@code ExtractPythonUDFs}
 * does for pandas UDFs: the call's input is projected as a column of the child, a {@link GptossEval}
 * node computes the answer column from it, the operator reads that column instead, and a projection
 * restores the operator's original output. Nested calls ({@code gptoss(gptoss(x))}) give stacked
 * nodes, innermost first. A {@code LIMIT} directly above a projection that calls gptoss() moves below it.
 */
final class ExtractGptossCalls extends Rule<LogicalPlan> {
  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    return rewrite(plan);
  }

  private LogicalPlan rewrite(LogicalPlan p) {
    p = limitFirst(p);
    List<LogicalPlan> kids = Scala.java(p.children());
    List<LogicalPlan> newKids = new ArrayList<>(kids.size());
    boolean changed = false;
    for (LogicalPlan k : kids) {
      LogicalPlan nk = rewrite(k);
      changed |= nk != k;
      newKids.add(nk);
    }
    LogicalPlan q = changed ? p.withNewChildren(Scala.list(newKids)) : p;
    if (q instanceof GptossEval) return q;
    for (int calls = countCalls(q); calls > 0; ) {
      q = extractOnce(q);
      int left = countCalls(q);
      if (left >= calls) throw new IllegalStateException("gptoss(): could not extract the calls of " + q.simpleStringWithNodeId());
      calls = left;
    }
    return q;
  }

  /**
   * {@code LIMIT n} over a projection that calls gptoss() becomes the projection over {@code LIMIT n}: the
   * projection maps rows one to one and keeps their order, so only the rows the limit keeps are answered
   * (Spark would otherwise stream partitions into the call until the limit is satisfied, answering up to
   * {@code max_in_flight} more rows per partition it reads).
   */
  private static LogicalPlan limitFirst(LogicalPlan p) {
    if (p instanceof GlobalLimit g && g.child() instanceof LocalLimit l && l.child() instanceof Project proj
        && countCalls(proj) > 0) {
      return proj.withNewChildren(Scala.seq(g.withNewChildren(Scala.seq(l.withNewChildren(Scala.seq(proj.child()))))));
    }
    return p;
  }

  private static int countCalls(LogicalPlan p) {
    int n = 0;
    for (Expression e : Scala.java(p.expressions())) n += e.collect(new scala.runtime.AbstractPartialFunction<Expression, Object>() {
      @Override
      public boolean isDefinedAt(Expression x) {
        return x instanceof GptossCall;
      }

      @Override
      public Object apply(Expression x) {
        return x;
      }
    }).size();
    return n;
  }

  /** Extracts the innermost calls of {@code p} (those whose input holds no other call). */
  private static LogicalPlan extractOnce(LogicalPlan p) {
    List<LogicalPlan> kids = Scala.java(p.children());
    if (kids.size() != 1) {
      throw new UnsupportedOperationException("gptoss() can only be used in an operator with one input ("
          + p.nodeName() + " has " + kids.size() + "); compute it in a projection first");
    }
    LogicalPlan child = kids.get(0);
    List<GptossCall> calls = new ArrayList<>();
    for (Expression e : Scala.java(p.expressions())) collectInnermost(e, calls);

    List<NamedExpression> projection = new ArrayList<>(Scala.java(child.output()));
    List<Attribute> inputs = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      Expression in = calls.get(i).input();
      if (in instanceof Attribute a && child.outputSet().contains(a)) {
        inputs.add(a);
      } else {
        Alias alias = new Alias(in, "gptoss_input_" + i, NamedExpression.newExprId(), Scala.seq(), Option.empty(),
            Scala.seq());
        projection.add(alias);
        inputs.add(alias.toAttribute());
      }
    }
    LogicalPlan newChild = projection.size() == child.output().size() ? child : new Project(Scala.list(projection), child);
    List<Attribute> results = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      GptossCall c = calls.get(i);
      Attribute result = new AttributeReference("gptoss_" + i, c.dataType(), true, Metadata.empty(),
          NamedExpression.newExprId(), Scala.seq());
      results.add(result);
      newChild = new GptossEval(inputs.get(i), c.resolveOptions(), result, newChild);
    }
    LogicalPlan withChild = p.withNewChildren(Scala.seq(newChild));
    LogicalPlan rewritten = withChild.mapExpressions(e -> replace(e, calls, results));
    if (!rewritten.output().equals(p.output())) {
      List<NamedExpression> keep = new ArrayList<>(Scala.java(p.output()));
      rewritten = new Project(Scala.list(keep), rewritten);
    }
    return rewritten;
  }

  private static void collectInnermost(Expression e, List<GptossCall> out) {
    if (e instanceof GptossCall c && !c.input().exists(x -> x instanceof GptossCall)) {
      for (GptossCall seen : out) {
        if (same(seen, c)) return;
      }
      out.add(c);
      return;
    }
    for (Expression k : Scala.java(e.children())) collectInnermost(k, out);
  }

  /**
   * The same call up to cosmetic differences. Not {@code semanticEquals}, which is false for every
   * nondeterministic expression (and calls are marked so, see {@link GptossCall#deterministic}).
   */
  private static boolean same(GptossCall a, GptossCall b) {
    return a == b || a.canonicalized().equals(b.canonicalized());
  }

  private static Expression replace(Expression e, List<GptossCall> calls, List<Attribute> results) {
    if (e instanceof GptossCall c) {
      for (int i = 0; i < calls.size(); i++) {
        if (same(calls.get(i), c)) return results.get(i);
      }
    }
    List<Expression> kids = Scala.java(e.children());
    if (kids.isEmpty()) return e;
    List<Expression> nk = new ArrayList<>(kids.size());
    boolean changed = false;
    for (Expression k : kids) {
      Expression r = replace(k, calls, results);
      changed |= r != k;
      nk.add(r);
    }
    return changed ? e.withNewChildren(Scala.list(nk)) : e;
  }
}
