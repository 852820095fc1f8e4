package ai.gptoss.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * A string {@code pattern} as a grammar: a subset of ECMA-262 regular expressions parsed here and
 * compiled to the string's characters ({@link StringGrammar#charIn}).
 *
 * <p>Supported: literals, {@code .}, classes {@code [a-z]} and {@code [^...]}, {@code \d \D \w \W \s \S},
 * escaped metacharacters, {@code \t \n \r \f \v \xHH \\uHHHH}, groups {@code (...)} and {@code (?:...)},
 * alternation, quantifiers {@code * + ? {n} {n,} {n,m}} (lazy forms too: the language is the same),
 * {@code ^} at the start and {@code $} at the end of a top-level alternative. A pattern matches
 * anywhere in the string, as JSON Schema says: an alternative without {@code ^} may be preceded by any
 * text and one without {@code $} followed by any. Anything else (backreferences, lookaround, word
 * boundaries, {@code \p{...}}, flags) fails when the query is planned.
 *
 * <p>What is generated is a subset of what the pattern matches, chosen to validate under both
 * ECMA-262 and {@code java.util.regex}: control characters are never generated, {@code \s} generates
 * only a space, {@code \S} and {@code .} no line terminators or Unicode spaces.
 */
final class PatternGrammar {
  /** Largest {n,m} bound accepted. */
  static final int MAX_REPEAT = 1000;

  sealed interface Node permits Chars, Seq, Alt, Repeat {}

  record Chars(List<int[]> ranges) implements Node {}

  record Seq(List<Node> items) implements Node {}

  record Alt(List<Node> options) implements Node {}

  record Repeat(Node body, int min, int max) implements Node {}

  private static final List<int[]> DIGIT = List.of(new int[] {'0', '9'});
  private static final List<int[]> WORD = List.of(new int[] {'0', '9'}, new int[] {'A', 'Z'}, new int[] {'_', '_'}, new int[] {'a', 'z'});
  /** ECMA-262 WhiteSpace and LineTerminator at or above U+0020. */
  private static final List<int[]> SPACE = List.of(new int[] {0x20, 0x20}, new int[] {0xA0, 0xA0}, new int[] {0x1680, 0x1680},
      new int[] {0x2000, 0x200A}, new int[] {0x2028, 0x2029}, new int[] {0x202F, 0x202F}, new int[] {0x205F, 0x205F},
      new int[] {0x3000, 0x3000}, new int[] {0xFEFF, 0xFEFF});
  private static final List<int[]> DOT = StringGrammar.complement(List.of(new int[] {0x2028, 0x2029}));

  private final String src;
  private final String path;
  private int pos;

  private PatternGrammar(String src, String path) {
    this.src = src;
    this.path = path;
  }

  /** The pattern's grammar over the string's characters (search semantics already applied). */
  static Node parse(String pattern, String path) {
    PatternGrammar p = new PatternGrammar(pattern, path);
    List<Node> options = new ArrayList<>();
    do {
      boolean start = p.eat('^');
      List<Node> items = new ArrayList<>();
      if (!start) items.add(new Repeat(new Chars(DOT), 0, -1));
      items.add(p.concat(true));
      boolean end = p.eat('$');
      if (!end) items.add(new Repeat(new Chars(DOT), 0, -1));
      options.add(new Seq(items));
    } while (p.eat('|'));
    if (p.pos < p.src.length()) throw p.error("unexpected \"" + p.src.charAt(p.pos) + "\"");
    return options.size() == 1 ? options.get(0) : new Alt(options);
  }

  /** Builds the grammar of {@code n} (call again for another copy). */
  static ByteNfa.Frag compile(ByteNfa nfa, Node n) {
    if (n instanceof Chars c) return StringGrammar.charIn(nfa, c.ranges());
    if (n instanceof Seq s) {
      ByteNfa.Frag acc = nfa.empty();
      for (Node i : s.items()) acc = nfa.seq(acc, compile(nfa, i));
      return acc;
    }
    if (n instanceof Alt a) return nfa.alt(a.options().stream().map(o -> compile(nfa, o)).toArray(ByteNfa.Frag[]::new));
    Repeat r = (Repeat) n;
    return nfa.repeat(() -> compile(nfa, r.body()), r.min(), r.max());
  }

  private IllegalArgumentException error(String what) {
    return SchemaKeywords.error(path, "pattern \"" + src + "\": " + what + " at offset " + pos
        + " (supported: literals, ., [classes], \\d\\w\\s, groups, |, * + ? {n,m}, ^ and $ at the ends)");
  }

  private boolean eat(char c) {
    if (pos < src.length() && src.charAt(pos) == c) {
      pos++;
      return true;
    }
    return false;
  }

  private Node alternation() {
    List<Node> options = new ArrayList<>();
    do options.add(concat(false));
    while (eat('|'));
    return options.size() == 1 ? options.get(0) : new Alt(options);
  }

  private Node concat(boolean top) {
    List<Node> items = new ArrayList<>();
    while (pos < src.length()) {
      char c = src.charAt(pos);
      if (c == '|' || c == ')') break;
      if (c == '$') {
        if (top && (pos + 1 == src.length() || src.charAt(pos + 1) == '|')) break;
        throw error("\"$\" is only supported at the end of a top-level alternative");
      }
      if (c == '^') throw error("\"^\" is only supported at the start of a top-level alternative");
      items.add(quantified(atom()));
    }
    return new Seq(items);
  }

  private Node quantified(Node atom) {
    while (pos < src.length()) {
      char c = src.charAt(pos);
      int min, max;
      if (c == '*') {
        min = 0;
        max = -1;
        pos++;
      } else if (c == '+') {
        min = 1;
        max = -1;
        pos++;
      } else if (c == '?') {
        min = 0;
        max = 1;
        pos++;
      } else if (c == '{' && braceQuantifier()) {
        pos++;
        min = number();
        max = min;
        if (eat(',')) max = pos < src.length() && src.charAt(pos) == '}' ? -1 : number();
        if (!eat('}')) throw error("expected \"}\"");
        if (max >= 0 && max < min) throw error("{" + min + "," + max + "} has max below min");
      } else {
        return atom;
      }
      eat('?'); // lazy: same language
      atom = new Repeat(atom, min, max);
    }
    return atom;
  }

  private boolean braceQuantifier() {
    return src.substring(pos).matches("(?s)\\{\\d+(,\\d*)?}.*");
  }

  private int number() {
    int start = pos;
    while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
    if (start == pos) throw error("expected a number");
    if (pos - start > 4 || Integer.parseInt(src.substring(start, pos)) > MAX_REPEAT) {
      throw error("repetition bounds above " + MAX_REPEAT + " are not supported");
    }
    return Integer.parseInt(src.substring(start, pos));
  }

  private Node atom() {
    char c = src.charAt(pos);
    if (c == '(') {
      pos++;
      if (eat('?')) {
        if (!eat(':')) throw error("lookaround and named groups are not supported");
      }
      Node inner = alternation();
      if (!eat(')')) throw error("expected \")\"");
      return inner;
    }
    if (c == '[') return cls();
    if (c == '.') {
      pos++;
      return new Chars(DOT);
    }
    if (c == '\\') {
      pos++;
      return new Chars(escape(false));
    }
    if ("*+?{}]".indexOf(c) >= 0) throw error("unexpected \"" + c + "\"");
    int cp = src.codePointAt(pos);
    pos += Character.charCount(cp);
    return new Chars(List.of(new int[] {cp, cp}));
  }

  private Node cls() {
    pos++;
    boolean negate = eat('^');
    List<int[]> ranges = new ArrayList<>();
    while (pos < src.length() && src.charAt(pos) != ']') {
      List<int[]> lo = member();
      if (lo.size() == 1 && lo.get(0)[0] == lo.get(0)[1] && pos + 1 < src.length() && src.charAt(pos) == '-'
          && src.charAt(pos + 1) != ']') {
        pos++;
        List<int[]> hi = member();
        if (hi.size() != 1 || hi.get(0)[0] != hi.get(0)[1]) throw error("a class range must end in one character");
        if (hi.get(0)[0] < lo.get(0)[0]) throw error("class range out of order");
        ranges.add(new int[] {lo.get(0)[0], hi.get(0)[0]});
      } else {
        ranges.addAll(lo);
      }
    }
    if (!eat(']')) throw error("unterminated character class");
    return new Chars(negate ? StringGrammar.complement(ranges) : StringGrammar.normalize(ranges));
  }

  private List<int[]> member() {
    if (eat('\\')) return escape(true);
    int cp = src.codePointAt(pos);
    pos += Character.charCount(cp);
    return List.of(new int[] {cp, cp});
  }

  private List<int[]> escape(boolean inClass) {
    if (pos >= src.length()) throw error("pattern ends in \"\\\"");
    char c = src.charAt(pos++);
    switch (c) {
      case 'd': return DIGIT;
      case 'D': return StringGrammar.complement(DIGIT);
      case 'w': return WORD;
      case 'W': return StringGrammar.complement(WORD);
      case 's': return List.of(new int[] {' ', ' '});
      case 'S': return StringGrammar.complement(SPACE);
      case 't': return one('\t');
      case 'n': return one('\n');
      case 'r': return one('\r');
      case 'f': return one('\f');
      case 'v': return one(0x0B);
      case 'x': return one(hex(2));
      case 'u': return one(hex(4));
      default: break;
    }
    if ("\\/.-^$*+?()[]{}|".indexOf(c) >= 0) return one(c);
    pos--;
    throw error("escape \"\\" + c + "\" is not supported" + (inClass ? " in a class" : ""));
  }

  private static List<int[]> one(int cp) {
    return List.of(new int[] {cp, cp});
  }

  private int hex(int digits) {
    if (pos + digits > src.length()) throw error("expected " + digits + " hex digits");
    String h = src.substring(pos, pos + digits);
    if (!h.matches("[0-9a-fA-F]+")) throw error("expected " + digits + " hex digits");
    pos += digits;
    return Integer.parseInt(h, 16);
  }
}
