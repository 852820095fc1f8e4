package ai.gptoss.harmony;

import java.util.List;

/**
 * The o200k_harmony special tokens: every harmony id and name is defined here and nowhere else.
 *
 * <p>Ids 0..199997 are o200k_base BPE ranks; 199998..201087 are special tokens. The named ones are
 * listed below; every other id in that range is {@code <|reserved_ID|>} (openai/harmony
 * {@code tiktoken_ext/public_encodings.rs}). Two deliberate choices where sources differ:
 * id 200018 is named {@code <|endofprompt|>} as in gpt-oss's published tokenizer and
 * {@code shared/docs/gpt-oss.md} (harmony 0.0.8 calls it {@code <|reserved_200018|>}), and the
 * range ends at 201087, the last id of the model's 201088-row vocabulary (harmony also registers
 * {@code <|reserved_201088|>}, which no gpt-oss model can emit).
 */
public final class HarmonyTokens {
  private HarmonyTokens() {}

  /** Rows of the gpt-oss embedding / lm_head: valid ids are 0..VOCAB_SIZE-1. */
  public static final int VOCAB_SIZE = 201088;
  /** o200k_base has ranks 0..FIRST_SPECIAL-1; everything from here up is a special token. */
  public static final int FIRST_SPECIAL = 199998;

  public static final int STARTOFTEXT = 199998;
  public static final int ENDOFTEXT = 199999;
  /** Ends the final answer; generation stops here. */
  public static final int RETURN = 200002;
  /** Precedes a constrained content type in a header, e.g. {@code <|constrain|>json}. */
  public static final int CONSTRAIN = 200003;
  public static final int CHANNEL = 200005;
  public static final int START = 200006;
  public static final int END = 200007;
  public static final int MESSAGE = 200008;
  /** Ends a tool call; generation stops here. */
  public static final int CALL = 200012;
  public static final int ENDOFPROMPT = 200018;

  /** harmony {@code stop_tokens()}: what ends a message when parsing ({@code <|return|>}, {@code <|call|>}, {@code <|end|>}). */
  public static final List<Integer> STOP_TOKENS = List.of(RETURN, CALL, END);
  /**
   * harmony {@code stop_tokens_for_assistant_actions()}: what ends generation of an assistant turn
   * ({@code <|return|>}, {@code <|call|>}). The engine stops on these by default.
   */
  public static final List<Integer> STOP_TOKENS_FOR_ASSISTANT_ACTIONS = List.of(RETURN, CALL);

  /** True for ids in the special range (named or reserved). */
  public static boolean isSpecial(int id) {
    return id >= FIRST_SPECIAL && id < VOCAB_SIZE;
  }

  /** True for any id a gpt-oss model can hold. */
  public static boolean isValid(int id) {
    return id >= 0 && id < VOCAB_SIZE;
  }

  /** The text of a special token, e.g. {@code <|start|>} or {@code <|reserved_200020|>}. */
  public static String name(int id) {
    if (!isSpecial(id)) throw new IllegalArgumentException("token id " + id + " is not a harmony special token");
    return switch (id) {
      case STARTOFTEXT -> "<|startoftext|>";
      case ENDOFTEXT -> "<|endoftext|>";
      case RETURN -> "<|return|>";
      case CONSTRAIN -> "<|constrain|>";
      case CHANNEL -> "<|channel|>";
      case START -> "<|start|>";
      case END -> "<|end|>";
      case MESSAGE -> "<|message|>";
      case CALL -> "<|call|>";
      case ENDOFPROMPT -> "<|endofprompt|>";
      default -> "<|reserved_" + id + "|>";
    };
  }

  /** The id of special-token text such as {@code <|end|>}, or -1 if the text is not one. */
  public static int idOf(String text) {
    switch (text) {
      case "<|startoftext|>": return STARTOFTEXT;
      case "<|endoftext|>": return ENDOFTEXT;
      case "<|return|>": return RETURN;
      case "<|constrain|>": return CONSTRAIN;
      case "<|channel|>": return CHANNEL;
      case "<|start|>": return START;
      case "<|end|>": return END;
      case "<|message|>": return MESSAGE;
      case "<|call|>": return CALL;
      case "<|endofprompt|>": return ENDOFPROMPT;
      default: break;
    }
    String prefix = "<|reserved_";
    if (!text.startsWith(prefix) || !text.endsWith("|>")) return -1;
    String digits = text.substring(prefix.length(), text.length() - 2);
    if (digits.isEmpty() || digits.length() > 6 || digits.charAt(0) == '0') return -1;
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') return -1;
    }
    int id = Integer.parseInt(digits);
    // Only ids that have no proper name are spelled <|reserved_N|>.
    return isSpecial(id) && name(id).equals(text) ? id : -1;
  }
}
