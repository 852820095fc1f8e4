package ai.gptoss.spark.generate;

import ai.gptoss.spark.GptossConf;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session of a command-line job (spark-generate, the examples): the master given on the
 * command line, else the one spark-submit set, else {@code local[*]}; gptoss' extensions installed;
 * Spark's own logging at WARN so the job's output stays readable. Driver only.
 */
public final class CommandLineSessions {
  private CommandLineSessions() {}

  /** @param master {@code --master}, or null */
  public static SparkSession start(String appName, String master) {
    SparkSession.Builder b = SparkSession.builder().appName(appName)
        .config("spark.sql.extensions", GptossConf.EXTENSIONS_CLASS);
    if (master != null) b.master(master);
    else if (!new SparkConf().contains("spark.master")) b.master("local[*]");
    SparkSession spark = b.getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }
}
