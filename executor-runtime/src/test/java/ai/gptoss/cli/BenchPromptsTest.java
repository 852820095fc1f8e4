package ai.gptoss.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Mixed lengths as vLLM's --random-range-ratio draws them, and the prompts of each length. */
class BenchPromptsTest {
  @Test
  void drawnLengthsCoverTheRangeUniformlyAndRepeatForASeed() {
    BenchPrompts.Lengths a = BenchPrompts.Lengths.drawn(4000, 1024, 1024, 0.5, 1);
    BenchPrompts.Lengths again = BenchPrompts.Lengths.drawn(4000, 1024, 1024, 0.5, 1);
    assertArrayEquals(a.input(), again.input());
    assertArrayEquals(a.output(), again.output());
    assertFalse(Arrays.equals(a.input(), BenchPrompts.Lengths.drawn(4000, 1024, 1024, 0.5, 2).input()), "another seed");
    for (int[] lens : new int[][] {a.input(), a.output()}) {
      assertEquals(512, Arrays.stream(lens).min().getAsInt(), "int(1024 * 0.5) is drawn");
      assertEquals(1536, Arrays.stream(lens).max().getAsInt(), "int(1024 * 1.5) is drawn");
      assertEquals(1024, Arrays.stream(lens).average().getAsDouble(), 15, "uniform: mean L (sd of the mean ~4.5)");
    }
    assertFalse(Arrays.equals(a.input(), a.output()), "input and output lengths are drawn apart");
  }

  @Test
  void ratioZeroIsTheFixedWorkloadAndOutputsStayPositive() {
    BenchPrompts.Lengths z = BenchPrompts.Lengths.drawn(5, 20, 6, 0, 9);
    assertArrayEquals(new int[] {20, 20, 20, 20, 20}, z.input());
    assertArrayEquals(new int[] {6, 6, 6, 6, 6}, z.output());
    assertEquals(100, z.inputTokens());
    assertEquals(30, z.outputTokens());
    BenchPrompts.Lengths one = BenchPrompts.Lengths.drawn(50, 8, 1, 0.9, 3);
    assertTrue(one.prefillOnly(), "int(0.1) = 0 is raised to 1, int(1.9) = 1");
    assertTrue(Arrays.stream(one.input()).allMatch(l -> l >= 1 && l <= 15), Arrays.toString(one.input()));
    assertFalse(z.prefillOnly());
  }

  @Test
  void aRatioOutsideZeroToOneIsAnErrorThatNamesTheFlag() {
    var e = assertThrows(IllegalArgumentException.class, () -> BenchPrompts.Lengths.drawn(4, 10, 10, 1.0, 1));
    assertTrue(e.getMessage().contains("--random-range-ratio"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BenchPrompts.Lengths.drawn(4, 10, 10, -0.1, 1));
  }

  @Test
  void promptsOfEqualLengthsAreTheFixedLengthPrompts() {
    int[][] fixed = BenchPrompts.random(201088, 3, 7, 5);
    int[][] byLength = BenchPrompts.random(201088, new int[] {7, 7, 7}, 5);
    for (int i = 0; i < 3; i++) assertArrayEquals(fixed[i], byLength[i]);
    int[][] mixed = BenchPrompts.random(201088, new int[] {2, 9}, 5);
    assertEquals(2, mixed[0].length);
    assertEquals(9, mixed[1].length);
    assertTrue(Arrays.stream(mixed[1]).allMatch(t -> t >= 0 && t < 199990));
  }
}
