package ai.gptoss.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.VarSnippet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

/**
 * Executes the notebooks' code cells. The Jupyter notebook is a Java notebook (JJava/IJava kernels run
 * cells through JShell): its code cells run here through JShell in this JVM, kernel magics ({@code %jars})
 * left out since the test classpath already has the jars. The Databricks notebook's SQL cells run through a
 * local SparkSession with the gptoss extensions, the questions path pointed at the repository's copy; then
 * its Scala cells run in the same session through the Scala interpreter ({@code IMain}, with {@code spark}
 * bound as Databricks binds it), the Parquet path pointed at a temporary directory.
 */
class NotebooksTest {
  static final Path NOTEBOOKS = Paths.get("..", "notebooks");
  static final String QUESTIONS = Paths.get("src/main/resources/ai/gptoss/examples/tiny-qa.questions.jsonl")
      .toAbsolutePath().toString();

  @Test
  void jupyterJavaNotebookRuns() throws Exception {
    JsonNode nb = new ObjectMapper().readTree(NOTEBOOKS.resolve("tiny_qa_eval.ipynb").toFile());
    assertEquals("java", nb.path("metadata").path("kernelspec").path("language").asText());
    List<String> cells = new ArrayList<>();
    for (JsonNode c : nb.get("cells")) {
      if (!c.get("cell_type").asText().equals("code")) continue;
      StringBuilder src = new StringBuilder();
      for (JsonNode line : c.get("source")) src.append(line.asText());
      StringBuilder code = new StringBuilder();
      for (String line : src.toString().split("\n", -1)) {
        if (!line.startsWith("%")) code.append(line).append('\n'); // kernel magics
      }
      if (!code.toString().isBlank()) cells.add(code.toString());
    }
    assertTrue(cells.size() >= 4, "code cells: " + cells.size());
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    try (JShell js = JShell.builder().executionEngine("local").build()) {
      for (String entry : cp.split(File.pathSeparator)) if (!entry.isBlank()) js.addToClasspath(entry);
      for (int i = 0; i < cells.size(); i++) run(js, i, cells.get(i));
      VarSnippet accuracy = js.variables().filter(v -> v.name().equals("accuracy")).findFirst().orElseThrow();
      double acc = Double.parseDouble(js.varValue(accuracy));
      assertTrue(acc >= 0.9, "notebook accuracy " + acc);
    } finally {
      SparkSession.active().stop();
    }
  }

  /** Runs one cell snippet by snippet, failing on a compile error or an exception, naming the cell. */
  static void run(JShell js, int cell, String code) {
    String rest = code;
    while (!rest.isBlank()) {
      SourceCodeAnalysis.CompletionInfo info = js.sourceCodeAnalysis().analyzeCompletion(rest);
      String source = info.source() != null ? info.source() : rest;
      for (SnippetEvent e : js.eval(source)) {
        if (e.status() == Snippet.Status.REJECTED) {
          StringBuilder why = new StringBuilder();
          js.diagnostics(e.snippet()).forEach(d -> why.append(d.getMessage(null)).append("; "));
          fail("notebook code cell " + cell + " does not compile: " + why + "\n" + source);
        }
        if (e.exception() != null) fail("notebook code cell " + cell + " threw " + e.exception() + "\n" + source);
      }
      rest = info.remaining() == null ? "" : info.remaining();
      if (info.source() == null) break;
    }
  }

  @TempDir Path tmp;

  @Test
  void databricksNotebookSqlAndScalaCellsRun() throws Exception {
    List<String> sql = DatabricksNotebook.cells(NOTEBOOKS.resolve("tiny_qa_eval_databricks.scala"), "%sql");
    assertTrue(sql.size() >= 5, "SQL cells: " + sql.size());
    SparkSession spark = SparkSession.builder().master("local[2]").appName("databricks notebook")
        .config("spark.sql.extensions", "ai.gptoss.spark.GptossExtensions").config("spark.ui.enabled", "false")
        .getOrCreate();
    try {
      List<Row> last = null;
      for (String cell : sql) {
        String stmt = cell.startsWith("SET gptoss.questions") ? "SET gptoss.questions = " + QUESTIONS : cell;
        long t0 = System.nanoTime();
        last = spark.sql(stmt).collectAsList();
        System.out.printf("databricks SQL cell (%.1f s): %s%n", (System.nanoTime() - t0) / 1e9, stmt.lines().findFirst().orElse(""));
      }
      assertEquals(2, last.size(), "summary by kind: " + last);
      long questions = 0, correct = 0;
      for (Row r : last) {
        questions += r.getLong(1);
        correct += r.getLong(2);
      }
      assertEquals(40, questions);
      assertTrue(correct >= 36, correct + "/40 correct: " + last);

      List<String> scala = DatabricksNotebook.cells(NOTEBOOKS.resolve("tiny_qa_eval_databricks.scala"), null);
      assertTrue(scala.size() >= 2, "Scala cells: " + scala.size());
      double accuracy = runScala(spark, scala);
      assertTrue(accuracy >= 0.9, "Scala cell accuracy " + accuracy);
      assertTrue(Files.isDirectory(tmp.resolve("answers")), "the last cell wrote Parquet");
    } finally {
      spark.stop();
    }
  }

  private double runScala(SparkSession spark, List<String> cells) {
    Settings settings = new Settings();
    settings.embeddedDefaults(getClass().getClassLoader());
    settings.classpath().value_$eq(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    StringWriter log = new StringWriter();
    IMain repl = new IMain(settings, new ReplReporterImpl(settings, new PrintWriter(log)));
    try {
      Results.Result bound = repl.bind("spark", "org.apache.spark.sql.SparkSession", spark, scala.collection.immutable.List$.MODULE$.empty());
      assertEquals(Results.Success$.MODULE$, bound, log.toString());
      for (int i = 0; i < cells.size(); i++) {
        String code = cells.get(i).replace("/tmp/gptoss/tiny-qa-eval/answers", tmp.resolve("answers").toString());
        Results.Result r = repl.interpret(code);
        if (r != Results.Success$.MODULE$) fail("Scala cell " + i + " of the Databricks notebook: " + r + "\n" + log + "\n" + code);
      }
      Object acc = repl.valueOfTerm("accuracy").get();
      return ((Number) acc).doubleValue();
    } finally {
      repl.close();
    }
  }

  /** Reads Databricks' source format: cells between {@code // COMMAND ----------}, magics as {@code // MAGIC}. */
  static final class DatabricksNotebook {
    static List<String> cells(Path file, String magic) throws java.io.IOException {
      String text = Files.readString(file);
      assertTrue(text.startsWith("// Databricks notebook source"), "Databricks source format header");
      List<String> out = new ArrayList<>();
      for (String cell : text.split("\n// COMMAND ----------\n")) {
        List<String> lines = new ArrayList<>();
        boolean magicCell = false;
        for (String line : cell.strip().split("\n")) {
          if (line.startsWith("// Databricks notebook source")) continue;
          if (line.startsWith("// MAGIC")) {
            magicCell = true;
            lines.add(line.length() > 9 ? line.substring(9) : "");
          } else {
            lines.add(line);
          }
        }
        if (magic == null) {
          if (!magicCell) out.add(String.join("\n", lines).strip());
        } else if (magicCell && !lines.isEmpty() && lines.get(0).strip().equals(magic)) {
          out.add(String.join("\n", lines.subList(1, lines.size())).strip());
        }
      }
      return out;
    }
  }
}
