package ai.gptoss.backend.cuda;

import ai.gptoss.backend.BackendException;
import java.util.List;
import java.util.Locale;

/**
 * How the CUDA backend stores K and V: bf16 (default: half the memory and bandwidth) or float32
 * ({@code GPTOSS_CUDA_KV=f32}: stored exactly as the pure-Java reference stores them; rounding K/V to
 * bf16 is what moves the GPU's top-1 on near-ties, see BENCHMARKS.md). The kernels are compiled for
 * the chosen format.
 */
enum KvFormat {
  BF16(2, List.of()),
  F32(4, List.of("-DGPTOSS_KV_F32"));

  final int bytesPerElement;
  /** NVRTC options that select this format in gptoss_kernels.h. */
  final List<String> defines;

  KvFormat(int bytesPerElement, List<String> defines) {
    this.bytesPerElement = bytesPerElement;
    this.defines = defines;
  }

  /** From {@code GPTOSS_CUDA_KV}: unset, "bf16", or "f32"/"float32". */
  static KvFormat parse(String value) {
    if (value == null || value.isBlank()) return BF16;
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "bf16", "bfloat16" -> BF16;
      case "f32", "float32", "fp32" -> F32;
      default -> throw new BackendException("GPTOSS_CUDA_KV=" + value + ": expected bf16 (default) or f32");
    };
  }

  static KvFormat fromEnvironment() {
    return parse(System.getenv("GPTOSS_CUDA_KV"));
  }
}
