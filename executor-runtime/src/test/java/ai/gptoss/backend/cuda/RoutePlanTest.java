package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The host's choice of routing kernel agrees with moe_route.cu's limits and depends on the shape only. */
class RoutePlanTest {
  private static int define(String name) throws IOException {
    try (InputStream in = RoutePlanTest.class.getClassLoader().getResourceAsStream(KernelCompiler.RESOURCE_DIR + "moe_route.cu")) {
      assertNotNull(in, "moe_route.cu on the classpath");
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      Matcher m = Pattern.compile("#define " + name + " (\\d+)").matcher(text);
      assertTrue(m.find(), "#define " + name + " in moe_route.cu");
      return Integer.parseInt(m.group(1));
    }
  }

  @Test
  void limitsMatchTheKernel() throws IOException {
    assertEquals(define("ROUTE_SMALL_MAX"), RoutePlan.SMALL_MAX_ASSIGNMENTS);
    assertEquals(define("ROUTE_MAX_EXPERTS"), RoutePlan.SMALL_MAX_EXPERTS);
    assertEquals(define("MAX_TOPK"), 8);
    // One thread per assignment: the block must have at least as many threads as the shared id list.
    assertTrue(RoutePlan.SMALL_THREADS >= 32 && RoutePlan.SMALL_THREADS % 32 == 0);
  }

  @Test
  void smallStepsTakeTheOneBlockKernel() {
    // gpt-oss-20b: 32 experts, top-4 -> up to 64 tokens; tiny-b: 16 experts, top-2 -> up to 128.
    assertTrue(RoutePlan.small(1, 4, 32));
    assertTrue(RoutePlan.small(64, 4, 32));
    assertFalse(RoutePlan.small(65, 4, 32));
    assertFalse(RoutePlan.small(1024, 4, 32));
    assertTrue(RoutePlan.small(128, 2, 16));
    assertFalse(RoutePlan.small(129, 2, 16));
    assertTrue(RoutePlan.small(64, 4, 8));
    assertFalse(RoutePlan.small(1, 4, 257), "more experts than the shared counts hold");
    assertFalse(RoutePlan.small(1, 9, 32), "more than MAX_TOPK choices");
    assertFalse(RoutePlan.small(Integer.MAX_VALUE, 4, 32), "no overflow of T * k");
  }

  @Test
  void environmentForcesTheFourLaunches() {
    assertFalse(RoutePlan.splitForced(null));
    assertFalse(RoutePlan.splitForced(" "));
    assertFalse(RoutePlan.splitForced("auto"));
    assertTrue(RoutePlan.splitForced("split"));
    assertTrue(RoutePlan.splitForced("SPLIT"));
    assertThrows(IllegalArgumentException.class, () -> RoutePlan.splitForced("small"));
  }
}
