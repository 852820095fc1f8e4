package ai.gptoss.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import org.junit.jupiter.api.Test;

class KvFormatTest {
  @Test
  void precisionDecidesUnlessTheDtypeIsGiven() {
    assertEquals(KvFormat.F32, KvFormat.choose(Precision.EXACT, KvCacheDtype.AUTO, 9, 0));
    assertEquals(KvFormat.BF16, KvFormat.choose(Precision.FAST, KvCacheDtype.AUTO, 8, 0));
    assertEquals(KvFormat.BF16, KvFormat.choose(Precision.EXACT, KvCacheDtype.BF16, 8, 0));
    assertEquals(KvFormat.FP8, KvFormat.choose(Precision.FAST, KvCacheDtype.FP8, 9, 0));
    assertEquals(KvFormat.FP8, KvFormat.choose(Precision.FAST, KvCacheDtype.FP8, 8, 9));
    assertEquals(1, KvFormat.FP8.bytesPerElement);
    assertEquals("fp8", KvFormat.FP8.id());
  }

  @Test
  void fp8NeedsAdaOrHopper() {
    BackendException e = assertThrows(BackendException.class, () -> KvFormat.choose(Precision.FAST, KvCacheDtype.FP8, 8, 0));
    assertTrue(e.getMessage().contains("8.9"), e.getMessage());
  }
}
