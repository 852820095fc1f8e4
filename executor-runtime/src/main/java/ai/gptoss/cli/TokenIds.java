package ai.gptoss.cli;

import picocli.CommandLine.ITypeConverter;

/** Parses {@code 1,2,3} into token ids. */
final class TokenIds implements ITypeConverter<int[]> {
  @Override
  public int[] convert(String value) {
    String v = value.trim();
    if (v.isEmpty()) throw new IllegalArgumentException("expected comma-separated token ids, got nothing");
    String[] parts = v.split(",");
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + parts[i].trim() + "' is not a token id (expected e.g. 1,2,3)");
      }
      if (out[i] < 0) throw new IllegalArgumentException("token id " + out[i] + " is negative");
    }
    return out;
  }
}
