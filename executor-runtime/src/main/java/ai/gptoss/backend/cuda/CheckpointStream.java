package ai.gptoss.backend.cuda;

import ai.gptoss.model.Checkpoint;
import ai.gptoss.model.CheckpointException;
import ai.gptoss.model.DType;
import ai.gptoss.model.SafetensorsFile;
import ai.gptoss.model.SafetensorsFile.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a checkpoint's tensors for the GPU: large bf16 matrices and MXFP4 blocks are streamed as
 * they are on disk into the uploader's staging buffer (sequential positional reads, no float copy);
 * small tensors come back as arrays. Every tensor's dtype and shape are checked, naming file and tensor.
 */
final class CheckpointStream implements AutoCloseable {
  private final Checkpoint ckpt;
  private final Map<Path, SafetensorsFile> files = new HashMap<>();

  CheckpointStream(Checkpoint ckpt) {
    this.ckpt = ckpt;
  }

  /** A float tensor (vectors, biases) as float32. */
  float[] floats(String name, long... shape) {
    return ckpt.readFloats(name, shape);
  }

  /** A U8 tensor (scales) as bytes. */
  byte[] bytes(String name, long... shape) {
    return ckpt.readBytes(name, shape);
  }

  /** Streams a float matrix to {@code dst} as bf16: bytes as they are when the file holds BF16. */
  void bf16(String name, DeviceModel.Uploader up, long dst, long... shape) {
    TensorInfo t = checked(name, shape);
    if (t.dtype() == DType.BF16) {
      stream(name, t, up, dst);
    } else if (t.dtype().isFloat()) {
      up.bf16(dst, ckpt.readFloats(name, shape)); // F32/F16 checkpoints: converted on the host
    } else {
      throw new CheckpointException(ckpt.fileOf(name) + ": tensor '" + name + "' is " + t.dtypeName()
          + " but a floating-point tensor (F32/BF16/F16) is required");
    }
  }

  /** Streams a U8 tensor (MXFP4 blocks) to {@code dst} unchanged. */
  void bytes(String name, DeviceModel.Uploader up, long dst, long... shape) {
    TensorInfo t = checked(name, shape);
    if (t.dtype() != DType.U8) {
      throw new CheckpointException(ckpt.fileOf(name) + ": tensor '" + name + "' is " + t.dtypeName()
          + " but MXFP4 blocks must be U8");
    }
    stream(name, t, up, dst);
  }

  private void stream(String name, TensorInfo t, DeviceModel.Uploader up, long dst) {
    SafetensorsFile f = files.computeIfAbsent(ckpt.fileOf(name), SafetensorsFile::open);
    TensorInfo ft = f.tensors().get(name);
    long total = ft.end() - ft.begin();
    for (long off = 0; off < total; off += DeviceModel.Uploader.CHUNK) {
      int n = (int) Math.min(DeviceModel.Uploader.CHUNK, total - off);
      ByteBuffer buf = up.sink.buffer();
      buf.clear().limit(n);
      f.read(ft, off, buf);
      buf.clear();
      up.sink.flush(dst + off, n);
    }
  }

  private TensorInfo checked(String name, long... shape) {
    TensorInfo t = ckpt.info(name);
    if (!Arrays.equals(t.shape(), shape)) {
      throw new CheckpointException(ckpt.fileOf(name) + ": tensor '" + name + "' has shape " + t.shapeString()
          + " but the config implies " + Arrays.toString(shape));
    }
    return t;
  }

  @Override
  public void close() {
    files.values().forEach(SafetensorsFile::close);
  }
}
