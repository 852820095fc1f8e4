package ai.gptoss.batch;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long command on stderr: rows done of total, tokens/s and the time left. In a terminal one
 * line redrawn in place (at most 5 times a second); otherwise, as in a log, one line every 10 seconds.
 * Not thread-safe: one thread reports. (A progress-bar library would bring JLine onto the executors'
 * classpath for one line of output; this is that line.)
 */
public final class Progress {
  private static final long TERMINAL_NANOS = 200_000_000L;
  private static final long LOG_NANOS = 10_000_000_000L;

  private final String label;
  private final long total;
  private final PrintStream out;
  private final boolean terminal;
  private final long t0 = System.nanoTime();
  private long last = t0;
  private boolean drawn;
  private int width;

  /**
   * @param total rows expected, or a negative number when unknown
   * @param terminal whether {@code out} is a terminal (redraw in place) or a log (a line every 10 s)
   */
  public Progress(String label, long total, PrintStream out, boolean terminal) {
    this.label = label;
    this.total = total;
    this.out = out;
    this.terminal = terminal;
  }

  /** Whether this JVM's output goes to a terminal (the best a JVM can tell: it has a console). */
  public static boolean onTerminal() {
    return System.console() != null;
  }

  /** Reports {@code done} rows and {@code tokens} generated so far; prints when it is time to. */
  public void update(long done, long tokens) {
    long now = System.nanoTime();
    if (now - last < (terminal ? TERMINAL_NANOS : LOG_NANOS)) return;
    last = now;
    print(done, tokens, now);
  }

  /** The last report, always printed (and the terminal line ended). */
  public void finish(long done, long tokens) {
    print(done, tokens, System.nanoTime());
    if (terminal && drawn) out.println();
    drawn = false;
  }

  private void print(long done, long tokens, long now) {
    String line = line(done, tokens, (now - t0) / 1e9);
    if (terminal) {
      // Spaces, not an escape code, blank out the rest of a longer previous line.
      out.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
      width = line.length();
      drawn = true;
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** {@code label: 120/1000 rows (12%), 251.0 tokens/s, 1m05s elapsed, ETA 8m00s}. */
  String line(long done, long tokens, double seconds) {
    StringBuilder b = new StringBuilder(label).append(": ").append(done);
    if (total >= 0) b.append('/').append(total);
    b.append(" rows");
    if (total > 0) b.append(String.format(Locale.ROOT, " (%d%%)", 100 * done / total));
    if (tokens >= 0) b.append(String.format(Locale.ROOT, ", %.1f tokens/s", seconds > 0 ? tokens / seconds : 0.0));
    b.append(", ").append(duration(seconds)).append(" elapsed");
    if (total > 0 && done > 0 && done < total) b.append(", ETA ").append(duration(seconds * (total - done) / done));
    return b.toString();
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) return s + "s";
    if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
  }
}
