package ai.gptoss.harmony;

/** What was wrong with a completion that {@link HarmonyParser} still turned into messages. */
public enum ParseIssue {
  /** The completion ended inside a message, without {@code <|end|>}, {@code <|return|>} or {@code <|call|>} (length limit). */
  TRUNCATED,
  /** A header was ended by a stop token, {@code <|start|>} or the end of the completion, not by {@code <|message|>}; text after the header fields became the content. */
  MISSING_MESSAGE_TOKEN,
  /** A message was cut short by {@code <|start|>} or {@code <|channel|>} without {@code <|end|>} first. */
  MISSING_END,
  /** A {@code <|channel|>} header began without {@code <|start|>} after the previous message ended; role assistant assumed. */
  MISSING_START,
  /** The channel is not one of analysis, commentary, final (kept as given). */
  UNKNOWN_CHANNEL,
  /** The header did not parse as harmony expects (unknown role, empty channel, extra words); what could be recovered was kept. */
  MALFORMED_HEADER,
  /** A special token where it has no meaning (e.g. {@code <|message|>} inside content, a reserved token); it was skipped. */
  STRAY_SPECIAL_TOKEN,
  /** Text outside any message (after a stop token, before {@code <|start|>}); kept as a message without channel. */
  TEXT_OUTSIDE_MESSAGE,
  /** A token id outside the vocabulary; it was skipped. */
  INVALID_TOKEN_ID,
  /** Content bytes that are not valid UTF-8; replaced by U+FFFD. */
  INVALID_UTF8
}
