package ai.gptoss.spark.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.Option;

/** Finding and replacing {@code gptoss()} calls in Catalyst expressions (shared by the analysis and optimizer rules). */
final class Calls {
  private Calls() {}

  static boolean in(Expression e) {
    return e.exists(x -> x instanceof GptossCall);
  }

  static boolean in(LogicalPlan p) {
    for (Expression e : Scala.java(p.expressions())) {
      if (in(e)) return true;
    }
    return false;
  }

  /** The calls of {@code e} not nested in another call, each once (by {@link #same}). */
  static List<GptossCall> outermost(Expression e) {
    List<GptossCall> out = new ArrayList<>();
    map(e, x -> {
      if (x instanceof GptossCall c) {
        add(out, c);
        return x;
      }
      return null;
    });
    return out;
  }

  static void add(List<GptossCall> calls, GptossCall c) {
    for (GptossCall seen : calls) {
      if (same(seen, c)) return;
    }
    calls.add(c);
  }

  /**
   * The same call up to cosmetic differences. Not {@code semanticEquals}, which is false for every
   * nondeterministic expression (and calls are marked so, see {@link GptossCall#deterministic}).
   */
  static boolean same(GptossCall a, GptossCall b) {
    return a == b || a.canonicalized().equals(b.canonicalized());
  }

  /**
   * Rewrites {@code e} top-down: where {@code f} returns an expression, it replaces the subtree (which is
   * not visited further); where it returns null, the children are rewritten.
   */
  static Expression map(Expression e, Function<Expression, Expression> f) {
    Expression r = f.apply(e);
    if (r != null) return r;
    List<Expression> kids = Scala.java(e.children());
    if (kids.isEmpty()) return e;
    List<Expression> nk = new ArrayList<>(kids.size());
    boolean changed = false;
    for (Expression k : kids) {
      Expression m = map(k, f);
      changed |= m != k;
      nk.add(m);
    }
    return changed ? e.withNewChildren(Scala.list(nk)) : e;
  }

  static Alias alias(Expression e, String name) {
    return new Alias(e, name, NamedExpression.newExprId(), Scala.seq(), Option.empty(), Scala.seq());
  }
}
