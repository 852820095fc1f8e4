package ai.gptoss.engine;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The content address of one KV page: SHA-256 over the previous page's key and the page's token
 * ids, truncated to 128 bits (vLLM's sha256 block hash). It names the page's tokens and every token
 * before them, which with positions starting at 0 and one model per engine is all that decides the
 * page's K/V. An accidental collision (2^-64 by the birthday bound even after 2^32 pages) is the only
 * way two different prefixes could share a page.
 */
record PageKey(long hi, long lo) {
  /** Key of the page holding {@code tokens[from, from + n)} after the page keyed {@code parent} (null: first page). */
  static PageKey of(PageKey parent, int[] tokens, int from, int n) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
    ByteBuffer buf = ByteBuffer.allocate(17 + 4 * n);
    buf.put((byte) (parent == null ? 0 : 1));
    buf.putLong(parent == null ? 0 : parent.hi).putLong(parent == null ? 0 : parent.lo);
    for (int i = 0; i < n; i++) buf.putInt(tokens[from + i]);
    ByteBuffer d = ByteBuffer.wrap(md.digest(buf.array()));
    return new PageKey(d.getLong(), d.getLong());
  }
}
