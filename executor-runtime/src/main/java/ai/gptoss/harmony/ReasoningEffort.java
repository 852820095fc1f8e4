package ai.gptoss.harmony;

import java.util.Locale;

/** How long the model should think; rendered as {@code Reasoning: low|medium|high} in the system message. */
public enum ReasoningEffort {
  LOW,
  MEDIUM,
  HIGH;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses "low"/"Low"/"LOW" etc. (harmony's JSON uses "Low", the chat form usually "low"). */
  public static ReasoningEffort parse(String s, String where) {
    for (ReasoningEffort e : values()) {
      if (e.name().equalsIgnoreCase(s)) return e;
    }
    throw new IllegalArgumentException(where + ": reasoning effort must be low, medium or high, got '" + s + "'");
  }
}
