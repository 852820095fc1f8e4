package ai.gptoss.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.gptoss.Golden;
import ai.gptoss.model.SafetensorsFile.TensorInfo;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The slice reads that load one rank's shard give exactly the part of the whole tensor along the axis asked, for
 * every tensor of tiny-a (BF16 dense tensors, U8 MXFP4 blocks and scales), any axis and any range.
 */
class CheckpointSliceTest {
  private static final Checkpoint CKPT = Checkpoint.open(Golden.dir("tiny-a"));
  private static final List<String> NAMES = CKPT.tensorNames();

  /** Elements {@code [from, to)} along {@code axis} of a row-major tensor of {@code shape}, as indices into it. */
  static int[] sliceIndices(long[] shape, int axis, int from, int to) {
    long outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= shape[i];
    for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
    int[] idx = new int[(int) (outer * (to - from) * inner)];
    int n = 0;
    for (long o = 0; o < outer; o++) {
      for (long a = from; a < to; a++) {
        for (long i = 0; i < inner; i++) idx[n++] = (int) ((o * shape[axis] + a) * inner + i);
      }
    }
    return idx;
  }

  @Property(tries = 300)
  void aSliceIsThatPartOfTheWholeTensor(@ForAll @IntRange(min = 0, max = 10_000) int which,
      @ForAll @IntRange(min = 0, max = 3) int axisPick, @ForAll @IntRange(min = 0, max = 10_000) int a,
      @ForAll @IntRange(min = 0, max = 10_000) int b) {
    TensorInfo t = CKPT.info(NAMES.get(which % NAMES.size()));
    long[] shape = t.shape();
    int axis = axisPick % shape.length;
    int size = (int) shape[axis];
    int from = a % (size + 1), to = from + b % (size - from + 1);
    int[] idx = sliceIndices(shape, axis, from, to);
    if (t.dtype() == DType.U8) {
      byte[] whole = CKPT.readBytes(t.name(), shape), part = CKPT.readByteSlice(t.name(), axis, from, to, dims(shape));
      byte[] want = new byte[idx.length];
      for (int i = 0; i < idx.length; i++) want[i] = whole[idx[i]];
      assertArrayEquals(want, part, t.name() + " axis " + axis + " [" + from + ", " + to + ")");
    } else {
      float[] whole = CKPT.readFloats(t.name(), shape), part = CKPT.readFloatSlice(t.name(), axis, from, to, dims(shape));
      float[] want = new float[idx.length];
      for (int i = 0; i < idx.length; i++) want[i] = whole[idx[i]];
      assertArrayEquals(want, part, t.name() + " axis " + axis + " [" + from + ", " + to + ")");
    }
  }

  @Test
  void aRangeOutsideTheTensorIsRefusedNamingIt() {
    String msg = assertThrows(CheckpointException.class, () -> CKPT.readFloatSlice("lm_head.weight", 0, 1000, 1025,
        Checkpoint.Dim.of(1024), Checkpoint.Dim.of(64))).getMessage();
    assertTrue(msg.contains("lm_head.weight") && msg.contains("[1000, 1025)") && msg.contains("dimension 0"), msg);
  }

  private static Checkpoint.Dim[] dims(long[] shape) {
    Checkpoint.Dim[] d = new Checkpoint.Dim[shape.length];
    for (int i = 0; i < d.length; i++) d[i] = Checkpoint.Dim.of(shape[i]);
    return d;
  }
}
