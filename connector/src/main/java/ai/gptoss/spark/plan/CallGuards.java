package ai.gptoss.spark.plan;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.And;
import org.apache.spark.sql.catalyst.expressions.CaseWhen;
import org.apache.spark.sql.catalyst.expressions.Coalesce;
import org.apache.spark.sql.catalyst.expressions.EqualNullSafe;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.If;
import org.apache.spark.sql.catalyst.expressions.IsNull;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.Not;
import org.apache.spark.sql.catalyst.expressions.Or;
import scala.Tuple2;

/**
 * The calls of an expression with the condition under which Spark evaluates each, so that only the rows whose
 * answer is used are answered: {@code CASE WHEN c THEN gptoss(p) END} answers the rows where {@code c} is true,
 * {@code coalesce(x, gptoss(p))} those where {@code x} is null, {@code a AND gptoss(p) = 'y'} those where {@code a}
 * is not false (Spark short-circuits {@code AND}/{@code OR}, {@code IF}, {@code CASE} and {@code coalesce} the
 * same way). A guard is null where the call is always evaluated. A condition that is nondeterministic (but holds no
 * call) cannot be evaluated twice with the same result, so it guards nothing.
 */
final class CallGuards {
  /** A call and its guard (null: every row). */
  record Guarded(GptossCall call, Expression guard) {}

  private final List<Guarded> found = new ArrayList<>();

  private CallGuards() {}

  /** Every call of {@code e} (nested ones included), each once, with the disjunction of its occurrences' guards. */
  static List<Guarded> of(List<Expression> roots) {
    CallGuards g = new CallGuards();
    for (Expression e : roots) g.visit(e, null);
    return g.found;
  }

  private void visit(Expression e, Expression guard) {
    if (e instanceof GptossCall c) {
      record(c, guard);
      visit(c.input(), guard);
    } else if (e instanceof CaseWhen cw) {
      Expression notBefore = guard;
      for (Tuple2<Expression, Expression> b : Scala.java(cw.branches())) {
        visit(b._1(), notBefore);
        visit(b._2(), and(notBefore, b._1(), true));
        notBefore = and(notBefore, b._1(), false);
      }
      if (cw.elseValue().isDefined()) visit(cw.elseValue().get(), notBefore);
    } else if (e instanceof If i) {
      visit(i.predicate(), guard);
      visit(i.trueValue(), and(guard, i.predicate(), true));
      visit(i.falseValue(), and(guard, i.predicate(), false));
    } else if (e instanceof Coalesce co) {
      Expression allNull = guard;
      for (Expression k : Scala.java(co.children())) {
        visit(k, allNull);
        allNull = conj(allNull, k, new IsNull(k));
      }
    } else if (e instanceof And a) {
      visit(a.left(), guard);
      visit(a.right(), conj(guard, a.left(), new Not(new EqualNullSafe(a.left(), Literal.FalseLiteral()))));
    } else if (e instanceof Or o) {
      visit(o.left(), guard);
      visit(o.right(), and(guard, o.left(), false));
    } else {
      for (Expression k : Scala.java(e.children())) visit(k, guard);
    }
  }

  /** {@code guard} and ({@code condition} is true), or (is not true) when {@code holds} is false. */
  private static Expression and(Expression guard, Expression condition, boolean holds) {
    Expression isTrue = new EqualNullSafe(condition, Literal.TrueLiteral());
    return conj(guard, condition, holds ? isTrue : new Not(isTrue));
  }

  private static Expression conj(Expression guard, Expression condition, Expression test) {
    if (!condition.deterministic() && !Calls.in(condition)) return guard;
    return guard == null ? test : new And(guard, test);
  }

  private void record(GptossCall c, Expression guard) {
    for (int i = 0; i < found.size(); i++) {
      Guarded g = found.get(i);
      if (Calls.same(g.call(), c)) {
        Expression merged = g.guard() == null || guard == null ? null : new Or(g.guard(), guard);
        found.set(i, new Guarded(g.call(), merged));
        return;
      }
    }
    found.add(new Guarded(c, guard));
  }
}
