package ai.gptoss.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jshell.JShell;
import jdk.jshell.SnippetEvent;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/**
 * The README's Java and SQL snippets (the fenced blocks after {@code <!-- tested: java-session -->},
 * {@code <!-- tested: sql -->} and {@code <!-- tested: sql-response-format -->}) run as they are: the Java one through JShell in this JVM (master local[2], as
 * spark-submit would set it), the SQL one in the session it built; the questions path, relative to the
 * repository root in the README, is made absolute. Every answer must equal the reference (the typed one, a
 * {@code bigint}, the reference's number). (The Python and
 * spark-submit snippets run in python/tests.)
 */
class ReadmeSnippetsTest {
  static final Path README = Paths.get("..", "README.md");
  static final String QUESTIONS = "examples/src/main/resources/ai/gptoss/examples/tiny-qa.questions.jsonl";

  static String block(String name) throws java.io.IOException {
    Matcher m = Pattern.compile("<!-- tested: " + Pattern.quote(name) + " -->\n```[a-z]*\n(.*?)\n```", Pattern.DOTALL)
        .matcher(Files.readString(README));
    assertTrue(m.find(), "README.md has no block marked <!-- tested: " + name + " -->");
    return m.group(1).replace(QUESTIONS, Paths.get("..", QUESTIONS).toAbsolutePath().normalize().toString());
  }

  /** The value of a JShell expression, as JShell prints it. */
  private static String value(JShell js, String expression) {
    for (SnippetEvent e : js.eval(expression)) {
      if (e.exception() != null) throw new AssertionError(expression + " threw " + e.exception());
      if (e.value() != null) return e.value();
    }
    throw new AssertionError(expression + " has no value");
  }

  @Test
  void javaAndSqlSnippetsAnswerTheTinyQaQuestions() throws Exception {
    String java = block("java-session");
    System.setProperty("spark.master", "local[2]");
    System.setProperty("spark.ui.enabled", "false");
    try (JShell js = JShell.builder().executionEngine("local").build()) {
      String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
      for (String entry : cp.split(File.pathSeparator)) if (!entry.isBlank()) js.addToClasspath(entry);
      NotebooksTest.run(js, 0, java);
      assertEquals("8", value(js, "answers.count()"));
      assertEquals("0", value(js, "answers.filter(\"prediction IS NULL OR trim(prediction) != answer\").count()"),
          value(js, "answers.collectAsList().toString()"));

      List<Row> rows = SparkSession.active().sql(block("sql")).collectAsList();
      assertEquals(8, rows.size());
      for (Row r : rows) assertEquals(r.getString(1), r.getString(2).strip(), r.toString());

      Dataset<Row> typed = SparkSession.active().sql(block("sql-response-format"));
      assertEquals(DataTypes.LongType, typed.schema().apply("total").dataType());
      List<Row> totals = typed.collectAsList();
      assertEquals(4, totals.size());
      for (Row r : totals) assertEquals(Long.parseLong(r.getString(1)), r.getLong(2), r.toString());
    } finally {
      System.clearProperty("spark.master");
      System.clearProperty("spark.ui.enabled");
      SparkSession.active().stop();
    }
  }
}
