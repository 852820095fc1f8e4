package ai.gptoss.spark;

import ai.gptoss.spark.plan.ExtractGptossCalls;
import ai.gptoss.spark.plan.GptossAnalysis;
import ai.gptoss.spark.plan.GptossCall;
import ai.gptoss.spark.plan.GptossStrategy;
import ai.gptoss.spark.plan.Scala;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.util.MapData;
import scala.Function1;
import scala.Tuple3;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Installs {@code gptoss()} in a session: {@code spark.sql.extensions=ai.gptoss.spark.GptossExtensions}.
 * Registers the SQL function, the analysis rule that moves calls out of places Spark rejects them
 * ({@link GptossAnalysis}), the optimizer rule that extracts calls into {@link ai.gptoss.spark.plan.GptossEval} nodes, and
 * the planner strategy that runs them as {@link ai.gptoss.spark.plan.GptossEvalExec}.
 */
public final class GptossExtensions extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  static final String USAGE = "gptoss(input[, options]) - Answers each row with the gpt-oss model resident on the "
      + "executor. input: a prompt string, an array<struct<role, content>> of chat messages, or an array<int> of "
      + "token ids. options: map('max_new_tokens', '32', 'output', 'struct', ...); see GptossConf.";

  @Override
  public BoxedUnit apply(SparkSessionExtensions ext) {
    ExpressionInfo info = new ExpressionInfo(GptossCall.class.getName(), null, "gptoss", USAGE, "");
    Function1<scala.collection.immutable.Seq<Expression>, Expression> builder = args -> build(Scala.java(args));
    ext.injectFunction(new Tuple3<>(FunctionIdentifier.apply("gptoss"), info, builder));
    ext.injectPostHocResolutionRule(session -> new GptossAnalysis());
    ext.injectPreCBORule(session -> new ExtractGptossCalls());
    ext.injectPlannerStrategy(session -> new GptossStrategy());
    return BoxedUnit.UNIT;
  }

  static Expression build(List<Expression> args) {
    if (args.isEmpty() || args.size() > 2) {
      throw new IllegalArgumentException("gptoss() takes 1 or 2 arguments (input[, options map]), got " + args.size());
    }
    Map<String, String> options = args.size() == 2 ? options(args.get(1)) : Map.of();
    return GptossCall.create(args.get(0), options);
  }

  /** The options argument: a constant map of strings, e.g. {@code map('max_new_tokens', '32')}. */
  private static Map<String, String> options(Expression e) {
    if (!e.foldable() || !(e.dataType() instanceof org.apache.spark.sql.types.MapType)) {
      throw new IllegalArgumentException("gptoss(): the second argument must be a constant map such as "
          + "map('max_new_tokens', '32'), got " + e.sql());
    }
    MapData m = (MapData) e.eval(null);
    Map<String, String> out = new TreeMap<>();
    if (m == null) return out;
    for (int i = 0; i < m.numElements(); i++) {
      Object k = m.keyArray().get(i, org.apache.spark.sql.types.DataTypes.StringType);
      Object v = m.valueArray().isNullAt(i) ? null : m.valueArray().get(i, org.apache.spark.sql.types.DataTypes.StringType);
      if (v == null) throw new IllegalArgumentException("gptoss(): option '" + k + "' has a null value");
      out.put(k.toString(), v.toString());
    }
    return out;
  }
}
