package ai.gptoss.harmony;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A group of tools rendered as {@code ## name} and, when it has tools, a TypeScript-like
 * {@code namespace name { ... }} (harmony {@code ToolNamespaceConfig}).
 */
public record ToolNamespace(String name, String description, List<Content.ToolDescription> tools) {
  public ToolNamespace {
    if (name == null) throw new IllegalArgumentException("tool namespace name is missing");
    tools = List.copyOf(tools);
  }

  /** The {@code functions} namespace that chat-style tool lists go into. */
  public static ToolNamespace functions(List<Content.ToolDescription> tools) {
    return new ToolNamespace("functions", null, tools);
  }

  static Map<String, ToolNamespace> sorted(Map<String, ToolNamespace> tools) {
    return java.util.Collections.unmodifiableMap(new TreeMap<>(tools));
  }
}
