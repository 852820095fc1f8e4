package ai.gptoss.model;

import java.util.Locale;

/** The safetensors element types a GPT-OSS checkpoint may use. */
public enum DType {
  F32(4),
  BF16(2),
  F16(2),
  U8(1);

  public final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Parses a safetensors dtype string; returns null for types this project does not load. */
  static DType parse(String s) {
    return switch (s.toUpperCase(Locale.ROOT)) {
      case "F32" -> F32;
      case "BF16" -> BF16;
      case "F16" -> F16;
      case "U8" -> U8;
      default -> null;
    };
  }

  public boolean isFloat() {
    return this != U8;
  }
}
