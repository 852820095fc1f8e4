// Databricks notebook source
// MAGIC %md
// MAGIC # gpt-oss batch evaluation with `gptoss()`
// MAGIC
// MAGIC Answers the tiny-qa questions with the gpt-oss model resident on every executor, scores the answers
// MAGIC against the references and writes a summary table, in SQL and in Scala.
// MAGIC
// MAGIC **Cluster setup** (Compute > your cluster > Configuration):
// MAGIC * The connector jar `gptoss-spark_2.13-0.1.0-SNAPSHOT.jar` on the classpath at cluster start: the init script
// MAGIC   `notebooks/gptoss_init.sh` copies it to `/databricks/jars/` (the README's "Databricks" section).
// MAGIC * Spark config: `spark.sql.extensions ai.gptoss.spark.GptossExtensions`, to close engines when executors stop
// MAGIC   `spark.plugins ai.gptoss.spark.GptossPlugin`, and for the CPU kernels' SIMD
// MAGIC   `spark.driver.extraJavaOptions --add-modules=jdk.incubator.vector` and `spark.executor.extraJavaOptions --add-modules=jdk.incubator.vector`.
// MAGIC   On GPU clusters also `spark.task.resource.gpu.amount` so that each task is assigned a GPU (see docs/rapids.md when
// MAGIC   the RAPIDS Accelerator shares it).
// MAGIC * Upload `tiny-qa.questions.jsonl` (in `examples/src/main/resources/ai/gptoss/examples/`) and set its path below.

// COMMAND ----------

// MAGIC %sql
// MAGIC SET gptoss.questions = /dbfs/FileStore/gptoss/tiny-qa.questions.jsonl

// COMMAND ----------

// MAGIC %sql
// MAGIC -- Options: function map > session conf (spark.gptoss.*) > defaults. Generation stays short for tiny-qa.
// MAGIC SET spark.gptoss.max_new_tokens = 64

// COMMAND ----------

// MAGIC %sql
// MAGIC CREATE OR REPLACE TEMPORARY VIEW questions AS
// MAGIC SELECT id, question, answer FROM json.`${gptoss.questions}` ORDER BY id LIMIT 40

// COMMAND ----------

// MAGIC %sql
// MAGIC -- CACHE TABLE runs the model once; every later query reads the cached answers.
// MAGIC CACHE TABLE answers AS
// MAGIC SELECT id, question, answer,
// MAGIC        gptoss(question, map('output', 'struct')) AS r,
// MAGIC        CASE WHEN question LIKE '%capital%' THEN 'capital' ELSE 'arithmetic' END AS kind
// MAGIC FROM questions

// COMMAND ----------

// MAGIC %sql
// MAGIC SELECT kind,
// MAGIC        count(*) AS questions,
// MAGIC        sum(CASE WHEN trim(r.final) = trim(answer) THEN 1 ELSE 0 END) AS correct,
// MAGIC        round(avg(CASE WHEN trim(r.final) = trim(answer) THEN 1.0 ELSE 0.0 END), 4) AS accuracy,
// MAGIC        round(avg(r.completion_tokens), 1) AS mean_completion_tokens
// MAGIC FROM answers
// MAGIC GROUP BY kind
// MAGIC ORDER BY kind

// COMMAND ----------

// The same in Scala, with the DataFrame API: options as a map, the struct's fields as columns.
import ai.gptoss.spark.GptossFunctions.gptoss
import org.apache.spark.sql.functions._

val scored = spark.table("questions")
  .withColumn("r", gptoss(col("question"), Map("output" -> "struct", "max_new_tokens" -> "64")))
  .select(col("id"), col("question"), col("answer"), col("r.final").as("prediction"), col("r.analysis").as("reasoning"))
  .withColumn("correct", trim(col("prediction")) === trim(col("answer")))
  .cache()

val accuracy = scored.agg(avg(col("correct").cast("double"))).first().getDouble(0)
println(f"accuracy: ${100 * accuracy}%.1f%%")

// COMMAND ----------

// Keep the results: Parquet for the answers, one row per question.
scored.write.mode("overwrite").parquet("/tmp/gptoss/tiny-qa-eval/answers")
