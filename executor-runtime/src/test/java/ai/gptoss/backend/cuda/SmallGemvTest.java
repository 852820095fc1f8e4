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
    assertFalse(SmallGemv.applies(Mode.AUTO, 1, 201088, 2880, false)); // LM head, fast: cuBLAS
    assertFalse(SmallGemv.applies(Mode.AUTO, 1, 5120, 2880, false)); // qkv, fast: cuBLAS
    assertTrue(SmallGemv.applies(Mode.AUTO, 1, 5120, 2880, true)); // qkv, precise: one pass instead of two
    assertFalse(SmallGemv.applies(Mode.AUTO, 2, 201088, 2880, true));
  }

  @Test
  void allAndOff() {
    assertTrue(SmallGemv.applies(Mode.ALL, SmallGemv.MAX_ROWS, 32, 2880, false));
    assertFalse(SmallGemv.applies(Mode.ALL, SmallGemv.MAX_ROWS + 1, 32, 2880, false));
    assertFalse(SmallGemv.applies(Mode.ALL, 0, 32, 2880, false));
    assertFalse(SmallGemv.applies(Mode.ALL, 1, 32, 2884, false)); // rows of 5,768 bytes: not whole 16-byte loads
    assertFalse(SmallGemv.applies(Mode.OFF, 1, 201088, 2880, true));
    assertEquals(640, SmallGemv.blocks(5120));
    assertEquals(5, SmallGemv.blocks(37));
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
