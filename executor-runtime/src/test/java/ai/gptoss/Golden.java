package ai.gptoss;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Access to the reference fixtures copied from shared/golden into test resources. */
public final class Golden {
  private Golden() {}

  public static JsonNode json(String name) {
    try (InputStream in = Golden.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) throw new AssertionError("golden fixture /golden/" + name + " is missing from test resources");
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new AssertionError("cannot read golden fixture " + name, e);
    }
  }

  public static Path dir(String name) {
    try {
      var url = Golden.class.getResource("/golden/" + name);
      if (url == null) throw new AssertionError("golden fixture /golden/" + name + " is missing from test resources");
      return Paths.get(url.toURI());
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
  }

  public static int[] ints(JsonNode arr) {
    int[] out = new int[arr.size()];
    for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
    return out;
  }

  public static float[] floats(JsonNode arr) {
    float[] out = new float[arr.size()];
    for (int i = 0; i < out.length; i++) out[i] = (float) arr.get(i).asDouble();
    return out;
  }
}
