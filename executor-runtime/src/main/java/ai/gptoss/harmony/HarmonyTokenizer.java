package ai.gptoss.harmony;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * o200k_harmony: the o200k_base byte-pair encoding (JTokkit's ranks and split regex, which match
 * tiktoken's) plus the harmony special tokens of {@link HarmonyTokens}.
 *
 * <p>Thread-safe and immutable; {@link #get()} returns the one shared instance (loading the ranks
 * takes about a second).
 */
public final class HarmonyTokenizer {
  private final Encoding base;
  /** UTF-8 bytes of every o200k_base rank 0..FIRST_SPECIAL-1. */
  private final byte[][] rankBytes;

  private HarmonyTokenizer() {
    base = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    rankBytes = new byte[HarmonyTokens.FIRST_SPECIAL][];
    IntArrayList one = new IntArrayList(1);
    one.add(0);
    for (int id = 0; id < rankBytes.length; id++) {
      one.set(0, id);
      rankBytes[id] = base.decodeBytes(one);
    }
  }

  private static final class Holder {
    static final HarmonyTokenizer INSTANCE = new HarmonyTokenizer();
  }

  public static HarmonyTokenizer get() {
    return Holder.INSTANCE;
  }

  /** Encodes text with special-token text treated as ordinary text (harmony {@code encode} without {@code allowed_special}). */
  public int[] encode(String text) {
    return base.encodeOrdinary(text).toArray();
  }

  /**
   * Encodes text, turning every special-token spelling ({@code <|start|>}, {@code <|reserved_200020|>}, ...)
   * into its id (harmony {@code encode(text, allowed_special="all")}).
   */
  public int[] encodeWithSpecialTokens(String text) {
    IntArrayList out = new IntArrayList(Math.max(16, text.length() / 3));
    int plainFrom = 0;
    int nextClose = -1; // index of the next "|>" at or after the candidate's body; reused while still ahead
    int open = text.indexOf("<|");
    while (open >= 0) {
      if (nextClose < open + 2) nextClose = text.indexOf("|>", open + 2);
      if (nextClose < 0) break; // no closing marker anywhere after this point: no more specials
      int id = HarmonyTokens.idOf(text.substring(open, nextClose + 2));
      if (id >= 0) {
        appendOrdinary(text.substring(plainFrom, open), out);
        out.add(id);
        plainFrom = nextClose + 2;
        open = text.indexOf("<|", plainFrom);
      } else {
        open = text.indexOf("<|", open + 1);
      }
    }
    appendOrdinary(text.substring(plainFrom), out);
    return out.toArray();
  }

  private void appendOrdinary(String text, IntArrayList out) {
    if (text.isEmpty()) return;
    IntArrayList ids = base.encodeOrdinary(text);
    for (int i = 0; i < ids.size(); i++) out.add(ids.get(i));
  }

  /** The bytes a token stands for: a UTF-8 fragment for BPE ranks, the spelled-out name for specials. */
  public byte[] tokenBytes(int id) {
    if (id >= 0 && id < HarmonyTokens.FIRST_SPECIAL) return rankBytes[id].clone();
    return HarmonyTokens.name(checkedSpecial(id)).getBytes(StandardCharsets.UTF_8);
  }

  /** Concatenated bytes of the tokens (a token may hold part of a UTF-8 character). */
  public byte[] decodeBytes(int[] ids) {
    return decodeBytes(ids, 0, ids.length);
  }

  public byte[] decodeBytes(int[] ids, int from, int to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(16, (to - from) * 4));
    for (int i = from; i < to; i++) {
      int id = ids[i];
      if (id >= 0 && id < HarmonyTokens.FIRST_SPECIAL) {
        out.writeBytes(rankBytes[id]);
      } else {
        out.writeBytes(HarmonyTokens.name(checkedSpecial(id)).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toByteArray();
  }

  /**
   * Decodes ids to text, special tokens spelled out. The bytes of all tokens are joined before UTF-8
   * decoding, so characters split across tokens come out whole; bytes that still do not form valid
   * UTF-8 become U+FFFD.
   *
   * @throws IllegalArgumentException for an id outside 0..{@value HarmonyTokens#VOCAB_SIZE}-1
   */
  public String decode(int[] ids) {
    return new String(decodeBytes(ids), StandardCharsets.UTF_8);
  }

  public String decode(List<Integer> ids) {
    return decode(ids.stream().mapToInt(Integer::intValue).toArray());
  }

  private static int checkedSpecial(int id) {
    if (!HarmonyTokens.isValid(id)) {
      throw new IllegalArgumentException("token id " + id + " is outside the o200k_harmony vocabulary (0.."
          + (HarmonyTokens.VOCAB_SIZE - 1) + ")");
    }
    return id;
  }
}
