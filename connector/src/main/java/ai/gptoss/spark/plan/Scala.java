package ai.gptoss.spark.plan;

import java.util.Arrays;
import java.util.List;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/** Conversions between Java and the Scala collections of Spark's internal APIs. */
public final class Scala {
  private Scala() {}

  @SafeVarargs
  static <T> Seq<T> seq(T... items) {
    return list(Arrays.asList(items));
  }

  static <T> Seq<T> list(List<T> items) {
    return CollectionConverters.asScala(items).toList();
  }

  public static <T> List<T> java(scala.collection.Seq<T> seq) {
    return CollectionConverters.asJava(seq);
  }
}
