package ai.gptoss.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaErrorMemoryAllocation;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/** Checks of CUDA return codes: every failure becomes a {@link CudaException} naming the call. */
final class Cuda {
  private Cuda() {}

  /** CUDA runtime API. */
  static void check(int rc, String call) {
    if (rc == 0) return;
    BytePointer s = cudaGetErrorString(rc);
    String msg = s == null ? "unknown error" : s.getString();
    if (rc == cudaErrorMemoryAllocation) throw new CudaException.OutOfMemory(call, rc, msg);
    throw new CudaException(call, rc, msg);
  }

  /** CUDA driver API. */
  static void checkDrv(int rc, String call) {
    if (rc == 0) return;
    PointerPointer<BytePointer> p = new PointerPointer<>(1);
    String msg = "unknown error";
    if (cuGetErrorString(rc, p) == 0 && p.get(0) != null) msg = p.getString(0);
    if (rc == 2) throw new CudaException.OutOfMemory(call, rc, msg); // CUDA_ERROR_OUT_OF_MEMORY
    throw new CudaException(call, rc, msg);
  }

  static void checkNvrtc(int rc, String call) {
    if (rc == 0) return;
    BytePointer s = nvrtc.nvrtcGetErrorString(rc);
    throw new CudaException(call, rc, s == null ? "unknown NVRTC error" : s.getString());
  }

  static void checkBlas(int rc, String call) {
    if (rc == 0) return;
    String msg = switch (rc) {
      case cublas.CUBLAS_STATUS_NOT_INITIALIZED -> "CUBLAS_STATUS_NOT_INITIALIZED";
      case cublas.CUBLAS_STATUS_ALLOC_FAILED -> "CUBLAS_STATUS_ALLOC_FAILED";
      case cublas.CUBLAS_STATUS_INVALID_VALUE -> "CUBLAS_STATUS_INVALID_VALUE";
      case cublas.CUBLAS_STATUS_ARCH_MISMATCH -> "CUBLAS_STATUS_ARCH_MISMATCH";
      case cublas.CUBLAS_STATUS_EXECUTION_FAILED -> "CUBLAS_STATUS_EXECUTION_FAILED";
      case cublas.CUBLAS_STATUS_NOT_SUPPORTED -> "CUBLAS_STATUS_NOT_SUPPORTED";
      default -> "cuBLAS status " + rc;
    };
    if (rc == cublas.CUBLAS_STATUS_ALLOC_FAILED) throw new CudaException.OutOfMemory(call, rc, msg);
    throw new CudaException(call, rc, msg);
  }

  private static final boolean TRACE = System.getenv("GPTOSS_DEBUG") != null;

  /** Progress lines on stderr when GPTOSS_DEBUG is set (native crashes leave no Java trace). */
  static void trace(String what) {
    if (TRACE) {
      System.err.println("[cuda] " + what);
      System.err.flush();
    }
  }

  /** A JavaCPP pointer to a device address (cuBLAS and the runtime take Pointers). */
  static Pointer dev(long address) {
    return new DevicePointer(address);
  }

  private static final class DevicePointer extends Pointer {
    DevicePointer(long a) {
      address = a;
    }
  }
}
