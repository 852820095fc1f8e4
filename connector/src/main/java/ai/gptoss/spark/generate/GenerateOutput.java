package ai.gptoss.spark.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The output directory of {@code spark-generate}: its save mode ({@code error}, {@code overwrite},
 * {@code append}, as Spark's), the record of the run that writes it ({@code _gptoss_run.json}: input, its
 * size and modification time, partitions) and, for {@code --resume}, which partitions are already
 * committed there. Each task's part file ({@code part-<partition>-...}) is moved into the directory when
 * the task commits (Hadoop's output committer, algorithm version 2), so a run killed at 90% leaves 90% of
 * its part files, and {@code --resume} reruns only the partitions that have none. Driver only.
 */
final class GenerateOutput {
  /** Hadoop's committer setting that moves each task's output into place when the task commits. */
  static final String COMMITTER_ALGORITHM = "mapreduce.fileoutputcommitter.algorithm.version";

  private static final String RUN_FILE = "_gptoss_run.json";
  private static final Pattern PART = Pattern.compile("part-(\\d+)(?:-.*)?");
  private static final ObjectMapper JSON = new ObjectMapper();

  enum Mode { ERROR, OVERWRITE, APPEND }

  private final Path dir;
  private final FileSystem fs;

  GenerateOutput(String output, Configuration conf) {
    this.dir = new Path(output);
    try {
      this.fs = dir.getFileSystem(conf);
    } catch (IOException e) {
      throw new UncheckedIOException("--output " + output + ": " + e.getMessage(), e);
    }
  }

  static Mode mode(String s) {
    try {
      return Mode.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--mode must be error, overwrite or append, got '" + s + "'");
    }
  }

  /**
   * Prepares the directory for a new run in {@code mode} and records the run.
   *
   * @param run the run's description (input, its size and time, partitions)
   */
  void start(Mode mode, ObjectNode run) throws IOException {
    boolean exists = fs.exists(dir);
    if (exists && mode == Mode.ERROR) {
      throw new IllegalArgumentException("--output " + dir + " already exists; give --mode overwrite to replace it, "
          + "--mode append to add part files to it, or --resume to finish the interrupted run that wrote it");
    }
    if (exists && mode == Mode.OVERWRITE && !fs.delete(dir, true)) throw new IOException("cannot delete " + dir);
    fs.mkdirs(dir);
    if (mode != Mode.APPEND || !fs.exists(new Path(dir, RUN_FILE))) writeRun(run);
  }

  /**
   * The partitions already committed by the run recorded in the directory, for {@code --resume}; fails
   * when that run read another input or split it differently.
   */
  Set<Integer> committed(ObjectNode run) throws IOException {
    Path runFile = new Path(dir, RUN_FILE);
    if (!fs.exists(runFile)) {
      throw new IllegalArgumentException("--resume: " + dir + " holds no " + RUN_FILE + " (it was not written by "
          + "spark-generate); start a new run with --mode overwrite");
    }
    JsonNode before;
    try (InputStream in = fs.open(runFile)) {
      before = JSON.readTree(in);
    }
    if (!run.toString().equals(before.toString())) { // as text: JSON reads 2088 back as an int, not the long written
      throw new IllegalArgumentException("--resume: " + dir + " was written by another run (" + before + "; now " + run
          + "); give the same --input, unchanged, and the same --partitions, or start over with --mode overwrite");
    }
    Set<Integer> done = new TreeSet<>();
    for (FileStatus st : fs.listStatus(dir)) {
      Matcher m = PART.matcher(st.getPath().getName());
      if (st.isFile() && m.matches()) done.add(Integer.parseInt(m.group(1)));
    }
    return done;
  }

  private void writeRun(ObjectNode run) throws IOException {
    try (OutputStream out = fs.create(new Path(dir, RUN_FILE), true)) {
      out.write(JSON.writeValueAsString(run).getBytes(StandardCharsets.UTF_8));
    }
  }

  /** What identifies a run's input: its path, length, modification time and the number of partitions. */
  static ObjectNode describeRun(String input, Configuration conf, int partitions) throws IOException {
    Path p = new Path(input);
    FileStatus st = p.getFileSystem(conf).getFileStatus(p);
    ObjectNode o = JSON.createObjectNode();
    o.put("input", st.getPath().toString());
    o.put("input_length", st.getLen());
    o.put("input_modified", st.getModificationTime());
    o.put("partitions", partitions);
    return o;
  }
}
