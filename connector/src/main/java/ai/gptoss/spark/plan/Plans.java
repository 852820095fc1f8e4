package ai.gptoss.spark.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;

/** Plan-tree helpers shared by the connector's rewrite rules. */
final class Plans {
  private Plans() {}

  /** {@code p} with each child replaced by {@code rewrite(child)}; {@code p} itself when no child changed. */
  static LogicalPlan withRewrittenChildren(LogicalPlan p, UnaryOperator<LogicalPlan> rewrite) {
    List<LogicalPlan> kids = Scala.java(p.children());
    List<LogicalPlan> newKids = new ArrayList<>(kids.size());
    boolean changed = false;
    for (LogicalPlan k : kids) {
      LogicalPlan nk = rewrite.apply(k);
      changed |= nk != k;
      newKids.add(nk);
    }
    return changed ? p.withNewChildren(Scala.list(newKids)) : p;
  }
}
