package ai.gptoss.spark.generate;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkException;
import picocli.CommandLine;

/**
 * How the Spark commands (spark-generate, tiny-qa-eval, spark-benchmark) report a failure: one line,
 * {@code gptoss <command>: <root cause>}, instead of Spark's wrapped stack traces ending in
 * {@code Job aborted.}; {@code GPTOSS_DEBUG=1} adds the stack trace. Driver only.
 */
public final class CommandErrors {
  private CommandErrors() {}

  /** Runs a picocli command with this reporting and returns its exit status. */
  public static int execute(Object command, String... args) {
    CommandLine cl = new CommandLine(command);
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("gptoss " + cmd.getCommandName() + ": " + oneLine(ex));
      if (System.getenv("GPTOSS_DEBUG") != null) ex.printStackTrace(cmd.getErr());
      return 1;
    });
    return cl.execute(args);
  }

  private static final Pattern LOST_TASK = Pattern.compile(
      "most recent failure: Lost task [^)]*\\) \\([^)]*\\): (?:[\\w.$]+(?:Exception|Error): )?(.*)");

  /** The root cause of {@code ex} in one line: wrappers (Spark's job failure, futures, reflection) removed. */
  public static String oneLine(Throwable ex) {
    Throwable t = ex;
    while (t.getCause() != null && t.getCause() != t && isWrapper(t)) t = t.getCause();
    String msg = t.getMessage();
    if (t instanceof SparkException && msg != null) {
      Matcher m = LOST_TASK.matcher(msg);
      if (m.find()) msg = m.group(1);
    }
    if (msg == null || msg.isBlank()) msg = t.getClass().getSimpleName();
    if (t instanceof OutOfMemoryError) msg = "out of memory (" + msg + "); raise -Xmx via GPTOSS_JAVA_OPTS";
    int nl = msg.indexOf('\n');
    return (nl >= 0 ? msg.substring(0, nl) : msg).strip();
  }

  private static boolean isWrapper(Throwable t) {
    return t instanceof SparkException || t instanceof ExecutionException || t instanceof CompletionException
        || t instanceof InvocationTargetException || t instanceof UndeclaredThrowableException
        || t.getMessage() == null || t.getMessage().equals(String.valueOf(t.getCause()));
  }
}
