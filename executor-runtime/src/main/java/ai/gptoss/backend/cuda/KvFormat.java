package ai.gptoss.backend.cuda;

import java.util.List;

/**
 * How the CUDA backend stores K and V: bf16 (half the memory and bandwidth) or float32
 * ({@link ai.gptoss.backend.Precision#EXACT}: stored exactly as the pure-Java reference stores them;
 * rounding K/V to bf16 is what moves the GPU's top-1 on near-ties, see BENCHMARKS.md). The kernels are
 * compiled for the chosen format.
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
}
