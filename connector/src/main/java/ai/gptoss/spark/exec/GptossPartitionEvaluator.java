package ai.gptoss.spark.exec;

import ai.gptoss.batch.Answer;
import ai.gptoss.batch.InFlightWindow;
import ai.gptoss.engine.EngineStats;
import ai.gptoss.harmony.ChatMessage;
import ai.gptoss.spark.GptossConf;
import ai.gptoss.spark.GptossOptions;
import ai.gptoss.spark.GptossRowException;
import ai.gptoss.spark.typed.SchemaType;
import ai.gptoss.spark.typed.TypedAnswer;
import ai.gptoss.structured.ResponseFormat;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.PartitionEvaluator;
import org.apache.spark.PartitionEvaluatorFactory;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/** One task of {@link ai.gptoss.spark.plan.GptossEvalExec}: rows in, rows with the answer column out, through a {@link RequestWindow}. */
public final class GptossPartitionEvaluator implements PartitionEvaluator<InternalRow, InternalRow> {
  private static final Logger LOG = LoggerFactory.getLogger(GptossPartitionEvaluator.class);

  /** Serializable description of the work, shipped to the executors. */
  public record Factory(GptossOptions options, InputKind kind, int ordinal, int whenOrdinal, DataType inputType,
      DataType[] outputTypes, SQLMetric rows, SQLMetric requests, SQLMetric promptTokens, SQLMetric generatedTokens,
      SQLMetric cachedTokens, SQLMetric badRows, SQLMetric truncatedRows, SQLMetric tokensPerSecond, SQLMetric engineBatchSize)
      implements PartitionEvaluatorFactory<InternalRow, InternalRow>, Serializable {
    @Override
    public PartitionEvaluator<InternalRow, InternalRow> createEvaluator() {
      return new GptossPartitionEvaluator(this);
    }
  }

  private final Factory f;

  GptossPartitionEvaluator(Factory f) {
    this.f = f;
  }

  @Override
  public scala.collection.Iterator<InternalRow> eval(int partition, scala.collection.immutable.Seq<scala.collection.Iterator<InternalRow>> inputs) {
    TaskContext task = TaskContext.get();
    ExecutorEngine engine = ExecutorEngines.get(f.options());
    EngineStats before = engine.stats();
    long t0 = System.nanoTime();
    RowSeeds seeds = new RowSeeds(f.options().seed());
    Iterator<InternalRow> rows = CollectionConverters.asJava(inputs.head());
    long[] index = {0};
    Iterator<InternalRow> copied = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public InternalRow next() {
        return rows.next().copy();
      }
    };
    ResponseFormat format = f.options().responseFormat();
    RequestWindow<InternalRow> window = new RequestWindow<>(copied,
        row -> counted(constrained(prepare(engine, "partition " + partition + " row " + index[0]++, row, seeds), format)),
        engine, f.options().maxInFlight(), task);
    long[] generated = {0};
    long[] truncated = {0}; // rows whose final answer (a typed value's error included) says a limit cut them off
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) ctx -> {
        if (truncated[0] > 0) {
          LOG.warn("gptoss: {} of {} rows of partition {} were cut off by max_new_tokens={} or the model's context before "
              + "the model finished (finish_reason=length, the error says so, the answer is null or partial); raise "
              + "max_new_tokens (default: auto)", truncated[0], window.emitted(), partition,
              ai.gptoss.batch.MaxNewTokens.describe(f.options().maxNewTokens()));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (generated[0] > 0 && seconds > 0) f.tokensPerSecond().set(generated[0] / seconds);
        EngineStats after = engine.stats();
        long steps = after.steps() - before.steps();
        if (steps > 0) {
          double seqSteps = after.meanBatchSize() * after.steps() - before.meanBatchSize() * before.steps();
          f.engineBatchSize().set(seqSteps / steps);
        }
      });
    }
    UnsafeProjection projection = UnsafeProjection.create(f.outputTypes());
    boolean struct = f.options().structOutput();
    SchemaType valueType = struct ? f.options().valueType() : null;
    String limit = GptossConf.MAX_NEW_TOKENS + "=" + ai.gptoss.batch.MaxNewTokens.describe(f.options().maxNewTokens());
    Iterator<InternalRow> out = new Iterator<>() {
      @Override
      public boolean hasNext() {
        return window.hasNext();
      }

      @Override
      public InternalRow next() {
        InFlightWindow.Done<InternalRow> d = window.next();
        Answer a = d.answer();
        long rowNo = window.emitted() - 1;
        Object value = null;
        if (valueType != null && a != null) {
          TypedAnswer t = TypedAnswer.of(a.finalText(), a.finishReason(), valueType, limit);
          value = t.value();
          if (t.error() != null) {
            a = new Answer(a.finalText(), a.analysis(), a.text(), a.finishReason(), a.promptTokens(), a.completionTokens(),
                a.cachedTokens(), a.outputIds(), "partition " + partition + " row " + rowNo + ": " + t.error());
          }
        }
        if (a == null) {
          f.rows().add(1);
          return projection.apply(new JoinedRow(d.row(), new GenericInternalRow(new Object[] {null})));
        }
        if (a.truncated()) {
          truncated[0]++;
          f.truncatedRows().add(1);
        } else if (a.error() != null) {
          f.badRows().add(1);
          if (f.options().failOnError()) {
            window.close();
            throw new GptossRowException("gptoss: " + a.error() + " (" + GptossConf.ERROR_MODE + "=fail; use "
                + GptossConf.ERROR_MODE + "=null to get a null answer and the error in the struct instead)");
          }
        }
        f.rows().add(1);
        f.promptTokens().add(a.promptTokens());
        f.generatedTokens().add(a.completionTokens());
        f.cachedTokens().add(a.cachedTokens());
        generated[0] += a.completionTokens();
        return projection.apply(new JoinedRow(d.row(), new GenericInternalRow(new Object[] {
            ResultSchema.value(a, struct, engine.device(), valueType != null, value)})));
      }
    };
    return CollectionConverters.asScala(out);
  }

  /** {@code p}'s request with its final answer held to {@code response_format} (none: as it is). */
  private static InFlightWindow.Prepared constrained(InFlightWindow.Prepared p, ResponseFormat format) {
    if (format == null || p.request() == null) return p;
    return InFlightWindow.Prepared.of(p.request().withResponseFormat(format), p.label());
  }

  private InFlightWindow.Prepared counted(InFlightWindow.Prepared p) {
    if (p.request() != null) f.requests().add(1);
    return p;
  }

  private InFlightWindow.Prepared prepare(ExecutorEngine engine, String id, InternalRow row, RowSeeds seeds) {
    int ord = f.ordinal(), when = f.whenOrdinal();
    if (when >= 0 && (row.isNullAt(when) || !row.getBoolean(when))) return InFlightWindow.Prepared.SKIPPED;
    GptossOptions o = f.options();
    if (row.isNullAt(ord)) return InFlightWindow.Prepared.bad(id + ": the input is null", 0);
    switch (f.kind()) {
      case PROMPT:
        return Prompts.prompt(engine, id, row.getUTF8String(ord).toString(), o, seeds);
      case MESSAGES: {
        ArrayData arr = row.getArray(ord);
        StructType st = (StructType) ((ArrayType) f.inputType()).elementType();
        int roleOrd = InputKind.stringField(st, "role"), contentOrd = InputKind.stringField(st, "content");
        List<ChatMessage> messages = new ArrayList<>(arr.numElements());
        for (int i = 0; i < arr.numElements(); i++) {
          if (arr.isNullAt(i)) return InFlightWindow.Prepared.bad(id + ": messages[" + i + "] is null", 0);
          InternalRow m = arr.getStruct(i, st.size());
          String role = m.isNullAt(roleOrd) ? null : m.getUTF8String(roleOrd).toString();
          String content = m.isNullAt(contentOrd) ? null : m.getUTF8String(contentOrd).toString();
          messages.add(new ChatMessage(role, content, null, null));
        }
        return Prompts.chat(engine, id, messages, o, seeds);
      }
      case TOKEN_IDS: {
        ArrayData arr = row.getArray(ord);
        boolean longs = ((ArrayType) f.inputType()).elementType().equals(DataTypes.LongType);
        int[] ids = new int[arr.numElements()];
        for (int i = 0; i < ids.length; i++) {
          if (arr.isNullAt(i)) return InFlightWindow.Prepared.bad(id + ": token id [" + i + "] is null", 0);
          long v = longs ? arr.getLong(i) : arr.getInt(i);
          if (v != (int) v) { // the engine checks the vocabulary; an id past int's range would wrap into it
            return InFlightWindow.Prepared.bad(id + ": token id [" + i + "] = " + v + " is outside the vocabulary (vocab_size "
                + engine.vocabSize() + ")", ids.length);
          }
          ids[i] = (int) v;
        }
        return Prompts.request(engine, id, ids, o, seeds);
      }
      default:
        throw new IllegalStateException("input kind " + f.kind());
    }
  }
}
