package ai.gptoss.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/** Test fixtures and the shared local SparkSession. */
public final class TestData {
  private TestData() {}

  public record Question(long id, String question, String answer) {}

  /** The first {@code n} questions of tiny-qa.questions.jsonl. */
  public static List<Question> questions(int n) {
    List<Question> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (InputStream in = TestData.class.getResourceAsStream("/golden/tiny-qa.questions.jsonl")) {
      if (in == null) throw new IllegalStateException("test resource golden/tiny-qa.questions.jsonl is missing");
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = r.readLine()) != null && out.size() < n) {
        JsonNode j = json.readTree(line);
        out.add(new Question(j.get("id").asLong(), j.get("question").asText(), j.get("answer").asText()));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  public static Path resource(String name) {
    try {
      var url = TestData.class.getResource("/golden/" + name);
      if (url == null) throw new IllegalStateException("test resource golden/" + name + " is missing");
      return Paths.get(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A local-mode session with the gptoss extensions; {@code local[2]} as CI has two cores. */
  public static SparkSession localSession(String appName) {
    return SparkSession.builder()
        .master("local[2]")
        .appName(appName)
        .config("spark.sql.extensions", GptossConf.EXTENSIONS_CLASS)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate();
  }
}
