package ai.gptoss.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void aLineSaysRowsDoneOfTotalTokensPerSecondAndTimeLeft() {
    Progress p = new Progress("generate", 1000, System.err, false);
    assertEquals("generate: 250/1000 rows (25%), 100.0 tokens/s, 1m00s elapsed, ETA 3m00s", p.line(250, 6000, 60));
    assertEquals("generate: 3 rows, 2.0 tokens/s, 2s elapsed", new Progress("generate", -1, System.err, false).line(3, 4, 2));
    assertEquals("1h01m", Progress.duration(3700));
  }

  @Test
  void aLogGetsALineEveryTenSecondsATerminalOneLineRedrawn() {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Progress p = new Progress("bench", 10, new PrintStream(log, true, StandardCharsets.UTF_8), false);
    for (int i = 0; i < 1000; i++) p.update(i % 10, i);
    assertEquals("", log.toString(StandardCharsets.UTF_8), "nothing before 10 s have passed");
    p.finish(10, 1000);
    String out = log.toString(StandardCharsets.UTF_8);
    assertTrue(out.startsWith("bench: 10/10 rows (100%), ") && out.endsWith("\n") && !out.contains("\r"), out);

    ByteArrayOutputStream tty = new ByteArrayOutputStream();
    Progress t = new Progress("bench", 10, new PrintStream(tty, true, StandardCharsets.UTF_8), true);
    t.finish(10, 5);
    String line = tty.toString(StandardCharsets.UTF_8);
    assertTrue(line.startsWith("\rbench: 10/10 rows") && line.endsWith("\n") && !line.contains("\u001b"), line);
  }
}
