package ai.gptoss.harmony;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders tool namespaces and JSON-schema parameters as harmony's TypeScript-like text, a line-by-line
 * port of openai/harmony {@code encoding.rs} ({@code template_tools_section}, {@code json_schema_to_typescript}),
 * quirks included (they are what the model was trained on).
 */
final class ToolSchemaRenderer {
  private ToolSchemaRenderer() {}

  /** The {@code # Tools} section: one {@code ## name} block per namespace, in key order. */
  static String toolsSection(Map<String, ToolNamespace> tools) {
    List<String> sections = new ArrayList<>();
    sections.add("# Tools");
    for (ToolNamespace ns : tools.values()) {
      List<String> lines = new ArrayList<>();
      lines.add("## " + ns.name() + "\n");
      if (ns.description() != null) {
        for (String line : rustLines(ns.description())) {
          lines.add(ns.tools().isEmpty() ? line : "// " + line);
        }
      }
      if (!ns.tools().isEmpty()) {
        lines.add("namespace " + ns.name() + " {\n");
        for (Content.ToolDescription tool : ns.tools()) {
          for (String line : rustLines(tool.description() == null ? "" : tool.description())) {
            lines.add("// " + line);
          }
          JsonNode params = tool.parameters();
          if (params != null && !params.isNull()) {
            lines.add("type " + tool.name() + " = (_: " + typescript(params, "") + ") => any;\n");
          } else {
            lines.add("type " + tool.name() + " = () => any;\n");
          }
        }
        lines.add("} // namespace " + ns.name());
      }
      sections.add(String.join("\n", lines));
    }
    return String.join("\n\n", sections);
  }

  /** Rust's {@code str::lines}: split on \n, drop one trailing \r per line, no empty last line. */
  static List<String> rustLines(String s) {
    List<String> out = new ArrayList<>();
    int from = 0;
    while (from < s.length()) {
      int nl = s.indexOf('\n', from);
      int end = nl < 0 ? s.length() : nl;
      String line = s.substring(from, end);
      if (nl >= 0 && line.endsWith("\r")) line = line.substring(0, line.length() - 1);
      out.add(line);
      if (nl < 0) break;
      from = nl + 1;
    }
    return out;
  }

  private static boolean isEnum(JsonNode schema) {
    JsonNode e = schema.get("enum");
    return e != null && e.isArray() && e.size() > 0;
  }

  private static String str(JsonNode n) {
    return n != null && n.isTextual() ? n.asText() : null;
  }

  private static boolean nullable(JsonNode n) {
    JsonNode v = n.get("nullable");
    return v != null && v.isBoolean() && v.asBoolean();
  }

  /** serde_json's Display of a value: compact JSON. */
  private static String json(JsonNode n) {
    return n.toString();
  }

  /** Trailing comment for a default value inside a oneOf variant or list. */
  private static String defaultComment(JsonNode owner, JsonNode def) {
    if (def.isTextual() && !isEnum(owner)) return "default: \"" + def.asText() + "\"";
    if (def.isTextual()) return "default: " + def.asText();
    return "default: " + json(def);
  }

  static String typescript(JsonNode schema, String indent) {
    JsonNode oneOf = schema.get("oneOf");
    if (oneOf != null && oneOf.isArray()) {
      StringBuilder out = new StringBuilder();
      boolean first = true;
      for (JsonNode variant : oneOf) {
        if (!first) {
          out.append('\n').append(indent).append(" | ");
        } else {
          out.append('\n').append(indent).append(" | ");
          first = false;
        }
        String type = typescript(variant, indent + "   ");
        if (nullable(variant) && !type.contains("null")) type = type + " | null";
        out.append(type);
        List<String> trailing = new ArrayList<>();
        String desc = str(variant.get("description"));
        if (desc != null) trailing.add(desc);
        JsonNode def = variant.get("default");
        if (def != null) {
          trailing.add(def.isTextual() && !isEnum(variant) ? "default: \"" + def.asText() + "\"" : "default: " + json(def));
        }
        if (!trailing.isEmpty()) out.append(" // ").append(String.join(" ", trailing));
      }
      return out.toString();
    }
    JsonNode type = schema.get("type");
    if (type != null && type.isArray()) {
      List<String> types = new ArrayList<>();
      for (JsonNode t : type) {
        if (t.isTextual()) types.add(t.asText().equals("integer") ? "number" : t.asText());
      }
      if (!types.isEmpty()) return String.join(" | ", types);
    }
    if (type != null && type.isTextual()) {
      switch (type.asText()) {
        case "object":
          return object(schema, indent);
        case "string": {
          JsonNode en = schema.get("enum");
          if (en != null && en.isArray()) {
            List<String> vals = new ArrayList<>();
            for (JsonNode v : en) {
              if (v.isTextual()) vals.add("\"" + v.asText() + "\"");
            }
            if (!vals.isEmpty()) return String.join(" | ", vals);
          }
          return "string";
        }
        case "number":
        case "integer":
          return "number";
        case "boolean":
          return "boolean";
        case "array": {
          JsonNode items = schema.get("items");
          return items != null ? typescript(items, indent) + "[]" : "Array<any>";
        }
        default:
          return "any";
      }
    }
    return "any";
  }

  private static String object(JsonNode schema, String indent) {
    StringBuilder out = new StringBuilder();
    String objDesc = str(schema.get("description"));
    if (objDesc != null) out.append(indent).append("// ").append(objDesc).append('\n');
    out.append("{\n");
    JsonNode props = schema.get("properties");
    if (props != null && props.isObject()) {
      Set<String> required = new HashSet<>();
      JsonNode req = schema.get("required");
      if (req != null && req.isArray()) {
        for (JsonNode r : req) {
          if (r.isTextual()) required.add(r.asText());
        }
      }
      Iterator<Map.Entry<String, JsonNode>> it = props.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        property(out, e.getKey(), e.getValue(), required.contains(e.getKey()), indent);
      }
    }
    out.append(indent).append('}');
    return out.toString();
  }

  private static void property(StringBuilder out, String key, JsonNode val, boolean required, String indent) {
    String title = str(val.get("title"));
    if (title != null) out.append(indent).append("// ").append(title).append('\n').append(indent).append("//\n");
    JsonNode oneOf = val.get("oneOf");
    if (oneOf == null) {
      String desc = str(val.get("description"));
      if (desc != null) out.append(indent).append("// ").append(desc).append('\n');
    }
    JsonNode examples = val.get("examples");
    if (examples != null && examples.isArray() && examples.size() > 0) {
      out.append(indent).append("// Examples:\n");
      for (JsonNode ex : examples) {
        if (ex.isTextual()) out.append(indent).append("// - \"").append(ex.asText()).append("\"\n");
      }
    }
    if (oneOf != null && oneOf.isArray()) {
      oneOfProperty(out, key, val, oneOf, required, indent);
      return;
    }
    out.append(indent).append(key).append(required ? "" : "?").append(": ");
    String type = typescript(val, indent + "    ");
    if (nullable(val) && !type.contains("null")) type = type + " | null";
    out.append(type).append(',');
    if (oneOf == null) {
      JsonNode def = val.get("default");
      if (def != null) out.append(" // ").append(defaultComment(val, def));
    }
    out.append('\n');
  }

  private static void oneOfProperty(StringBuilder out, String key, JsonNode val, JsonNode variants, boolean required,
      String indent) {
    String propertyDesc = str(val.get("description"));
    boolean skipPropertyDesc = false;
    if (propertyDesc != null && variants.size() > 0) {
      String firstDesc = str(variants.get(0).get("description"));
      if (propertyDesc.equals(firstDesc)) skipPropertyDesc = true;
    }
    boolean renderedAbove = false;
    if (!skipPropertyDesc && propertyDesc != null) {
      out.append(indent).append("// ").append(propertyDesc).append('\n');
      renderedAbove = true;
    }
    JsonNode def = val.get("default");
    if (def != null) out.append(indent).append("// ").append(defaultComment(val, def)).append('\n');
    out.append(indent).append(key).append(required ? "" : "?").append(":\n");
    for (int i = 0; i < variants.size(); i++) {
      JsonNode variant = variants.get(i);
      out.append(indent).append(" | ");
      String type = typescript(variant, indent + "   ");
      if (nullable(variant) && !type.contains("null")) type = type + " | null";
      out.append(type);
      List<String> trailing = new ArrayList<>();
      if (!(i == 0 && renderedAbove)) {
        String vdesc = str(variant.get("description"));
        if (vdesc != null && !vdesc.equals(propertyDesc)) trailing.add(vdesc);
      }
      JsonNode vdef = variant.get("default");
      if (vdef != null) trailing.add(defaultComment(variant, vdef));
      if (!trailing.isEmpty()) out.append(" // ").append(String.join(" ", trailing));
      out.append('\n');
    }
    out.append(indent).append(",\n");
  }
}
