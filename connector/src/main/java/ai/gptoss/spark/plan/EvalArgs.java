package ai.gptoss.spark.plan;

import ai.gptoss.spark.GptossOptions;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import scala.Option;
import scala.collection.immutable.Seq;

/**
 * What a {@code gptoss()} evaluation holds besides its child, shared by the logical {@link GptossEval}
 * and the physical {@link GptossEvalExec}: the input column, the options, the answer column and the
 * guard (the child's boolean column that says which rows to answer; absent: every row). Both nodes
 * still show these as their own product elements 0-3, the child as 4 (Catalyst finds the attributes,
 * rewrites them and copies the node through them).
 */
record EvalArgs(Attribute input, GptossOptions options, Attribute result, Option<Attribute> when) implements Serializable {
  static final int PRODUCT_ARITY = 5;

  /** The child's output followed by the answer column. */
  Seq<Attribute> output(Seq<Attribute> childOutput) {
    List<Attribute> out = new ArrayList<>(Scala.java(childOutput));
    out.add(result);
    return Scala.list(out);
  }

  AttributeSet produced() {
    return AttributeSet.apply(result);
  }

  /** {@code gptoss(prompt#1, {max_new_tokens=24}) AS gptoss_0#5 WHEN gptoss_when_0#4}. */
  String describe() {
    return "gptoss(" + input + ", " + options + ") AS " + result + (when.isDefined() ? " WHEN " + when.get() : "");
  }

  /** Product element {@code n} of a node of these arguments over {@code child}. */
  Object element(int n, Object child) {
    return switch (n) {
      case 0 -> input;
      case 1 -> options;
      case 2 -> result;
      case 3 -> when;
      case 4 -> child;
      default -> throw new IndexOutOfBoundsException(n);
    };
  }

  int hash(Object child) {
    return Objects.hash(input, options, result, when, child);
  }
}
