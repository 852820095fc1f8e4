package ai.gptoss.harmony;

import java.util.Locale;

/** Author roles of harmony messages; {@link #wireName()} is how they appear in headers and JSON. */
public enum Role {
  USER,
  ASSISTANT,
  SYSTEM,
  DEVELOPER,
  TOOL;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role spelled {@code s} ("user", "assistant", ...), or null if it is none of them. */
  public static Role fromWire(String s) {
    for (Role r : values()) {
      if (r.wireName().equals(s)) return r;
    }
    return null;
  }
}
