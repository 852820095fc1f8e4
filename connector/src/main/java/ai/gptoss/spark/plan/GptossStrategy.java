package ai.gptoss.spark.plan;

import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.SparkStrategy;
import scala.collection.immutable.Seq;

/** Planner strategy: {@link GptossEval} becomes the batched {@link GptossEvalExec}; a {@link OneRowBarrier} its child. */
public final class GptossStrategy extends SparkStrategy {
  @Override
  public Seq<SparkPlan> apply(LogicalPlan plan) {
    if (plan instanceof GptossEval e) {
      return Scala.seq(new GptossEvalExec(e.input(), e.options(), e.result(), e.when(), planLater(e.child())));
    }
    if (plan instanceof OneRowBarrier b) return Scala.seq(planLater(b.child()));
    return Scala.seq();
  }
}
