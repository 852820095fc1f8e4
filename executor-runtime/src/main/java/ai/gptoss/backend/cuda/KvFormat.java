package ai.gptoss.backend.cuda;

import ai.gptoss.backend.BackendException;
import ai.gptoss.backend.KvCacheDtype;
import ai.gptoss.backend.Precision;
import java.util.List;
import java.util.Locale;

/**
 * How the CUDA backend stores K and V: bf16 (half the memory and bandwidth of float32), float32
 * ({@link Precision#EXACT}: stored exactly as the pure-Java reference stores them; rounding K/V to
 * bf16 is what moves the GPU's top-1 on near-ties, see BENCHMARKS.md), or FP8 E4M3 (a quarter of
 * float32, chosen only by {@code GPTOSS_KV_CACHE_DTYPE=fp8}: vLLM's {@code kv_cache_dtype="fp8"} with scale 1;
 * Hopper and Ada only). The kernels are compiled for the chosen format.
 */
enum KvFormat {
  BF16(2, List.of()),
  F32(4, List.of("-DGPTOSS_KV_F32")),
  FP8(1, List.of("-DGPTOSS_KV_FP8"));

  final int bytesPerElement;
  /** NVRTC options that select this format in gptoss_kernels.h. */
  final List<String> defines;

  KvFormat(int bytesPerElement, List<String> defines) {
    this.bytesPerElement = bytesPerElement;
    this.defines = defines;
  }

  /** The format of a backend of {@code precision} with {@code dtype}, on a GPU of compute capability {@code major.minor}. */
  static KvFormat choose(Precision precision, KvCacheDtype dtype, int major, int minor) {
    KvFormat f = switch (dtype) {
      case AUTO -> precision.bf16Kv ? BF16 : F32;
      case BF16 -> BF16;
      case FP8 -> FP8;
    };
    if (f == FP8 && major * 10 + minor < 89) {
      throw new BackendException("kv_cache_dtype=fp8 (" + KvCacheDtype.ENV + ", Spark's spark.gptoss.kv_cache_dtype) needs a GPU "
          + "of compute capability 8.9 or later (this one is "
          + major + "." + minor + ")");
    }
    return f;
  }

  /** The name users set ({@value KvCacheDtype#ENV}) and the bench reports. */
  String id() {
    return this == F32 ? "f32" : name().toLowerCase(Locale.ROOT);
  }
}
