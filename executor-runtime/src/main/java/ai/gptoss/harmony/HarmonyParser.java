package ai.gptoss.harmony;

import com.knuddels.jtokkit.api.IntArrayList;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Completion ids to messages, as openai/harmony's {@code parse_messages_from_completion_tokens} (its
 * {@code StreamableParser}), but lenient: it never throws, whatever the ids. Well-formed completions give
 * exactly harmony's messages; malformed ones give the text that is there plus {@link ParseIssue}s saying
 * what was wrong (on each affected message and, with token positions, in {@link ParseResult#problems()}).
 *
 * <p>Messages end at {@code <|end|>}, {@code <|return|>} or {@code <|call|>} (harmony's stop tokens).
 * Recovery rules: {@code <|start|>} or {@code <|channel|>} inside content ends the message first
 * ({@link ParseIssue#MISSING_END}); a header ended by anything but {@code <|message|>} keeps its fields
 * and turns the leftover header text into content ({@link ParseIssue#MISSING_MESSAGE_TOKEN}); other
 * special tokens in the wrong place and invalid ids are skipped.
 */
public final class HarmonyParser {
  private static final Set<String> KNOWN_CHANNELS = Set.of("analysis", "commentary", "final");
  private static final String CHANNEL_MARKER = HarmonyTokens.name(HarmonyTokens.CHANNEL);
  private static final String CONSTRAIN_MARKER = HarmonyTokens.name(HarmonyTokens.CONSTRAIN);

  private final HarmonyTokenizer tok;

  public HarmonyParser(HarmonyTokenizer tok) {
    this.tok = tok;
  }

  public static HarmonyParser get() {
    return Holder.INSTANCE;
  }

  private static final class Holder {
    static final HarmonyParser INSTANCE = new HarmonyParser(HarmonyTokenizer.get());
  }

  /** Parses what the model generated after a prompt ending in {@code <|start|>assistant}. */
  public ParseResult parse(int[] completionIds) {
    return parse(completionIds, Role.ASSISTANT);
  }

  /**
   * @param startRole role of the first message, whose header then starts without {@code <|start|>role};
   *     null when the ids begin with {@code <|start|>}
   */
  public ParseResult parse(int[] ids, Role startRole) {
    return new Run(startRole).run(ids);
  }

  private enum State { EXPECT_START, HEADER, CONTENT }

  private record Header(Role role, String name, String recipient, String channel, String contentType, String rest) {}

  /** One pass over one completion. */
  private final class Run {
    private final List<ParsedMessage> messages = new ArrayList<>();
    private final List<ParseResult.Problem> problems = new ArrayList<>();
    private State state;
    private Role roleHint;
    private final IntArrayList headerIds = new IntArrayList();
    private final ByteArrayOutputStream content = new ByteArrayOutputStream();
    private final ByteArrayOutputStream outside = new ByteArrayOutputStream();
    private Header header;
    private EnumSet<ParseIssue> flags = EnumSet.noneOf(ParseIssue.class);

    Run(Role startRole) {
      roleHint = startRole;
      state = startRole == null ? State.EXPECT_START : State.HEADER;
    }

    ParseResult run(int[] ids) {
      for (int i = 0; i < ids.length; i++) step(i, ids[i]);
      end(ids.length);
      return new ParseResult(messages, problems);
    }

    /** Records a problem of the message in progress. */
    private void note(ParseIssue kind, int at, String detail) {
      flags.add(kind);
      problems.add(new ParseResult.Problem(kind, at, detail));
    }

    /** Records a problem that belongs to no message. */
    private void noteOutside(ParseIssue kind, int at, String detail) {
      problems.add(new ParseResult.Problem(kind, at, detail));
    }

    private void step(int i, int id) {
      if (!HarmonyTokens.isValid(id)) {
        if (state == State.EXPECT_START) noteOutside(ParseIssue.INVALID_TOKEN_ID, i, "token id " + id + " is outside the vocabulary");
        else note(ParseIssue.INVALID_TOKEN_ID, i, "token id " + id + " is outside the vocabulary");
        return;
      }
      switch (state) {
        case EXPECT_START -> expectStart(i, id);
        case HEADER -> inHeader(i, id);
        case CONTENT -> inContent(i, id);
      }
    }

    private void expectStart(int i, int id) {
      if (id == HarmonyTokens.START) {
        flushOutside(i);
        beginHeader(null);
      } else if (id == HarmonyTokens.CHANNEL) {
        flushOutside(i);
        beginHeader(Role.ASSISTANT);
        note(ParseIssue.MISSING_START, i, "<|channel|> without <|start|>role before it; assuming assistant");
        headerIds.add(id);
      } else if (id < HarmonyTokens.FIRST_SPECIAL) {
        if (outside.size() == 0) flags = EnumSet.noneOf(ParseIssue.class);
        outside.writeBytes(tok.tokenBytes(id));
      } else {
        noteOutside(ParseIssue.STRAY_SPECIAL_TOKEN, i, HarmonyTokens.name(id) + " outside any message was skipped");
      }
    }

    private void inHeader(int i, int id) {
      if (id == HarmonyTokens.MESSAGE) {
        header = parseHeader(true, i);
        if (header.rest() != null) {
          note(ParseIssue.MALFORMED_HEADER, i, "unexpected words in the header were dropped: '" + header.rest() + "'");
        }
        content.reset();
        state = State.CONTENT;
      } else if (isStop(id)) {
        if (headerIds.isEmpty()) {
          note(ParseIssue.MISSING_MESSAGE_TOKEN, i, HarmonyTokens.name(id) + " right after the start of a message; empty message skipped");
          state = State.EXPECT_START;
        } else {
          note(ParseIssue.MISSING_MESSAGE_TOKEN, i, "header ended by " + HarmonyTokens.name(id) + " without <|message|>");
          emitHeaderOnly(i);
          state = State.EXPECT_START;
        }
      } else if (id == HarmonyTokens.START) {
        if (headerIds.isEmpty()) {
          note(ParseIssue.STRAY_SPECIAL_TOKEN, i, "repeated <|start|> skipped");
          roleHint = null;
        } else {
          note(ParseIssue.MISSING_MESSAGE_TOKEN, i, "header ended by <|start|> without <|message|>");
          emitHeaderOnly(i);
          beginHeader(null);
        }
      } else if (id == HarmonyTokens.CHANNEL || id == HarmonyTokens.CONSTRAIN || id < HarmonyTokens.FIRST_SPECIAL) {
        headerIds.add(id);
      } else {
        note(ParseIssue.STRAY_SPECIAL_TOKEN, i, HarmonyTokens.name(id) + " inside a header was skipped");
      }
    }

    private void inContent(int i, int id) {
      if (isStop(id)) {
        emit(i);
        state = State.EXPECT_START;
      } else if (id == HarmonyTokens.START) {
        note(ParseIssue.MISSING_END, i, "<|start|> before the message ended");
        emit(i);
        beginHeader(null);
      } else if (id == HarmonyTokens.CHANNEL) {
        Role role = header.role();
        note(ParseIssue.MISSING_END, i, "<|channel|> before the message ended; a new " + role.wireName() + " message begins");
        emit(i);
        beginHeader(role);
        headerIds.add(id);
      } else if (id < HarmonyTokens.FIRST_SPECIAL) {
        content.writeBytes(tok.tokenBytes(id));
      } else {
        note(ParseIssue.STRAY_SPECIAL_TOKEN, i, HarmonyTokens.name(id) + " inside content was skipped");
      }
    }

    private void end(int at) {
      switch (state) {
        case EXPECT_START -> flushOutside(at);
        case HEADER -> {
          if (headerIds.isEmpty()) {
            noteOutside(ParseIssue.TRUNCATED, at, "the completion ended before a message began");
          } else {
            note(ParseIssue.TRUNCATED, at, "the completion ended inside a message header");
            emitHeaderOnly(at);
          }
        }
        case CONTENT -> {
          note(ParseIssue.TRUNCATED, at, "the completion ended inside a message (no <|end|>, <|return|> or <|call|>)");
          emit(at);
        }
      }
      state = State.EXPECT_START;
    }

    private boolean isStop(int id) {
      return id == HarmonyTokens.END || id == HarmonyTokens.RETURN || id == HarmonyTokens.CALL;
    }

    private void beginHeader(Role hint) {
      roleHint = hint;
      headerIds.clear();
      flags = EnumSet.noneOf(ParseIssue.class);
      state = State.HEADER;
    }

    private void emit(int at) {
      String text = utf8(content.toByteArray(), at);
      messages.add(new ParsedMessage(header.role(), header.name(), header.recipient(), header.channel(),
          header.contentType(), text, flags));
      content.reset();
    }

    /** A header that never reached {@code <|message|>}: its fields, and the leftover header text as content. */
    private void emitHeaderOnly(int at) {
      Header h = parseHeader(false, at);
      messages.add(new ParsedMessage(h.role(), h.name(), h.recipient(), h.channel(), h.contentType(),
          h.rest() == null ? "" : h.rest(), flags));
    }

    private void flushOutside(int at) {
      if (outside.size() == 0) return;
      String text = utf8(outside.toByteArray(), at);
      outside.reset();
      if (text.isBlank()) {
        noteOutside(ParseIssue.TEXT_OUTSIDE_MESSAGE, at, "whitespace outside any message was dropped");
        return;
      }
      note(ParseIssue.TEXT_OUTSIDE_MESSAGE, at, "text outside any message kept as a message without channel");
      messages.add(new ParsedMessage(Role.ASSISTANT, null, null, null, null, text, flags));
    }

    private String utf8(byte[] bytes, int at) {
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes)).toString();
      } catch (CharacterCodingException e) {
        note(ParseIssue.INVALID_UTF8, at, "bytes that are not valid UTF-8 were replaced by U+FFFD");
        return new String(bytes, StandardCharsets.UTF_8);
      }
    }

    /**
     * Port of harmony's {@code parse_header_from_string}. With {@code recipientAndType} false (a header
     * without {@code <|message|>}), everything after role and channel is returned as {@code rest}.
     */
    private Header parseHeader(boolean recipientAndType, int at) {
      String s = utf8(tok.decodeBytes(headerIds.toArray()), at);
      String channel = null;
      int idx = s.indexOf(CHANNEL_MARKER);
      if (idx >= 0) {
        String after = s.substring(idx + CHANNEL_MARKER.length());
        int end = 0;
        while (end < after.length()) {
          int cp = after.codePointAt(end);
          if (cp == '<' || isWhiteSpace(cp)) break;
          end += Character.charCount(cp);
        }
        if (end == 0) {
          note(ParseIssue.MALFORMED_HEADER, at, "<|channel|> without a channel name");
        } else {
          channel = after.substring(0, end);
          if (!KNOWN_CHANNELS.contains(channel)) {
            note(ParseIssue.UNKNOWN_CHANNEL, at, "channel '" + channel + "' is not analysis, commentary or final");
          }
        }
        s = s.substring(0, idx) + after.substring(end);
      }
      s = trim(s);
      if (s.contains(CONSTRAIN_MARKER)) s = trim(s.replace(CONSTRAIN_MARKER, " " + CONSTRAIN_MARKER));
      List<String> parts = splitAsciiWhitespace(s);

      Role role = roleHint;
      String name = null;
      if (role == null) {
        if (parts.isEmpty()) {
          note(ParseIssue.MALFORMED_HEADER, at, "header without a role; assuming assistant");
          role = Role.ASSISTANT;
        } else {
          String first = parts.get(0);
          role = Role.fromWire(first);
          if (role == null) {
            // harmony: an unknown first word is a tool's name when anything follows it.
            if (!(parts.size() > 1 || first.startsWith("to="))) {
              note(ParseIssue.MALFORMED_HEADER, at, "unknown role '" + first + "'; taken as a tool name");
            }
            parts.remove(0);
            role = Role.TOOL;
            name = first;
          }
        }
      }
      if (!parts.isEmpty() && parts.get(0).equals(role.wireName())) parts.remove(0);

      String recipient = null;
      String contentType = null;
      if (recipientAndType && !parts.isEmpty()) {
        int n = parts.size();
        String last = parts.remove(n - 1);
        if (last.startsWith("to=")) {
          recipient = last.substring(3);
        } else if (n == 1) {
          recipient = last;
        } else {
          contentType = last;
          String raw = parts.remove(parts.size() - 1);
          recipient = raw.startsWith("to=") ? raw.substring(3) : raw;
        }
      }
      String rest = parts.isEmpty() ? null : String.join(" ", parts);
      return new Header(role, role == Role.TOOL ? name : null, recipient, channel, contentType, rest);
    }
  }

  /** Unicode White_Space, as Rust's {@code char::is_whitespace}. */
  static boolean isWhiteSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || Character.isSpaceChar(cp);
  }

  /** Rust's {@code str::trim}: strips Unicode White_Space at both ends. */
  static String trim(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && isWhiteSpace(s.codePointAt(a))) a += Character.charCount(s.codePointAt(a));
    while (b > a && isWhiteSpace(s.codePointBefore(b))) b -= Character.charCount(s.codePointBefore(b));
    return s.substring(a, b);
  }

  /** Rust's {@code split_ascii_whitespace}: space, \t, \n, \f, \r; empty pieces skipped. */
  static List<String> splitAsciiWhitespace(String s) {
    List<String> out = new ArrayList<>();
    int start = -1;
    for (int i = 0; i <= s.length(); i++) {
      boolean ws = i == s.length() || " \t\n\f\r".indexOf(s.charAt(i)) >= 0;
      if (ws) {
        if (start >= 0) out.add(s.substring(start, i));
        start = -1;
      } else if (start < 0) {
        start = i;
      }
    }
    return out;
  }
}
