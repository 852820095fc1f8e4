package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.cuda.SmallGemv.Mode;
import org.junit.jupiter.api.Test;

class SmallGemvTest {
  @Test
  void autoTakesOneRowProductsInThePreciseModes() {
    assertFalse(SmallGemv.applies(Mode.AUTO, 1, 2880, false)); // fast: cuBLAS (the LM head too)
    assertTrue(SmallGemv.applies(Mode.AUTO, 1, 2880, true)); // precise: one pass instead of cuBLAS's two
    assertFalse(SmallGemv.applies(Mode.AUTO, 2, 2880, true));
  }

  @Test
  void allAndOff() {
    assertTrue(SmallGemv.applies(Mode.ALL, SmallGemv.MAX_ROWS, 2880, false));
    assertFalse(SmallGemv.applies(Mode.ALL, SmallGemv.MAX_ROWS + 1, 2880, false));
    assertFalse(SmallGemv.applies(Mode.ALL, 0, 2880, false));
    assertFalse(SmallGemv.applies(Mode.ALL, 1, 2884, false)); // rows of 5,768 bytes: not whole 16-byte loads
    assertFalse(SmallGemv.applies(Mode.OFF, 1, 2880, true));
    assertEquals(640, SmallGemv.blocks(5120));
    assertEquals(5, SmallGemv.blocks(37));
  }

  /**
   * GPTOSS_CUDA_GEMV=tc: every fast product of 1-4 rows (whole 16-byte rows) on the tensor-core kernel, same launch
   * shape; precise products keep AUTO's choice (bf16_gemv for one row, cuBLAS above), never a lower precision.
   */
  @Test
  void tcTakesEveryFastFewRowProductOnTheTensorCoreKernel() {
    for (int rows = 1; rows <= SmallGemv.MAX_ROWS; rows++) {
      assertTrue(SmallGemv.applies(Mode.TC, rows, 2880, false));
      assertEquals(SmallGemv.applies(Mode.AUTO, rows, 2880, true), SmallGemv.applies(Mode.TC, rows, 2880, true));
    }
    assertFalse(SmallGemv.applies(Mode.TC, SmallGemv.MAX_ROWS + 1, 2880, false));
    assertFalse(SmallGemv.applies(Mode.TC, 1, 2884, false));
    assertEquals("bf16_gemv_tc", SmallGemv.kernel(Mode.TC, false));
    assertEquals("bf16_gemv", SmallGemv.kernel(Mode.TC, true));
    assertEquals("bf16_gemv", SmallGemv.kernel(Mode.ALL, false));
    assertEquals("bf16_gemv", SmallGemv.kernel(Mode.AUTO, true));
    assertEquals(Mode.TC, SmallGemv.mode(" TC "));
  }

  @Test
  void environmentSwitch() {
    assertEquals(Mode.AUTO, SmallGemv.mode(null));
    assertEquals(Mode.AUTO, SmallGemv.mode(" Auto "));
    assertEquals(Mode.ALL, SmallGemv.mode("all"));
    assertEquals(Mode.OFF, SmallGemv.mode("0"));
    assertEquals(Mode.OFF, SmallGemv.mode("cublas"));
    BackendException e = assertThrows(BackendException.class, () -> SmallGemv.mode("fast"));
    assertTrue(e.getMessage().contains("GPTOSS_CUDA_GEMV=fast"), e.getMessage());
  }
}
