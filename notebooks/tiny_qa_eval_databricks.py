# Databricks notebook source
# MAGIC %md
# MAGIC # gpt-oss batch evaluation with `gptoss()` from Python
# MAGIC
# MAGIC Answers the tiny-qa questions with the gpt-oss model resident on every executor, scores the answers
# MAGIC against the references and writes a summary table: SQL cells, then the same with the DataFrame API of
# MAGIC `gptoss_spark` (the connector's JVM function called through py4j; nothing runs in Python).
# MAGIC
# MAGIC **Cluster setup** (Compute > your cluster; the README's "Databricks" section has the details):
# MAGIC * The connector jar `gptoss-spark_2.13-0.1.0-SNAPSHOT.jar` on the classpath at cluster start: the init script
# MAGIC   `notebooks/gptoss_init.sh` copies it to `/databricks/jars/`.
# MAGIC * Libraries: the Python package `gptoss_spark-0.1.0-py3-none-any.whl` (Python Wheel), built from `python/`.
# MAGIC * Spark config: `spark.sql.extensions ai.gptoss.spark.GptossExtensions`, `spark.plugins ai.gptoss.spark.GptossPlugin`,
# MAGIC   and for the CPU kernels' SIMD `spark.driver.extraJavaOptions --add-modules=jdk.incubator.vector` and
# MAGIC   `spark.executor.extraJavaOptions --add-modules=jdk.incubator.vector`.
# MAGIC * Upload `tiny-qa.questions.jsonl` (in `examples/src/main/resources/ai/gptoss/examples/`) and set its path below.

# COMMAND ----------

# MAGIC %sql
# MAGIC SET gptoss.questions = /Volumes/main/default/gptoss/tiny-qa.questions.jsonl

# COMMAND ----------

# MAGIC %sql
# MAGIC -- Options: function options > session conf (spark.gptoss.*) > defaults. Generation stays short for tiny-qa.
# MAGIC SET spark.gptoss.max_new_tokens = 64

# COMMAND ----------

# MAGIC %sql
# MAGIC CREATE OR REPLACE TEMPORARY VIEW questions AS
# MAGIC SELECT id, question, answer FROM json.`${gptoss.questions}` ORDER BY id LIMIT 40

# COMMAND ----------

# MAGIC %sql
# MAGIC -- CACHE TABLE runs the model once; every later query reads the cached answers.
# MAGIC CACHE TABLE answers AS
# MAGIC SELECT id, question, answer,
# MAGIC        gptoss(question, map('output', 'struct')) AS r,
# MAGIC        CASE WHEN question LIKE '%capital%' THEN 'capital' ELSE 'arithmetic' END AS kind
# MAGIC FROM questions

# COMMAND ----------

# MAGIC %sql
# MAGIC SELECT kind,
# MAGIC        count(*) AS questions,
# MAGIC        sum(CASE WHEN trim(r.final) = trim(answer) THEN 1 ELSE 0 END) AS correct,
# MAGIC        round(avg(CASE WHEN trim(r.final) = trim(answer) THEN 1.0 ELSE 0.0 END), 4) AS accuracy,
# MAGIC        round(avg(r.completion_tokens), 1) AS mean_completion_tokens
# MAGIC FROM answers
# MAGIC GROUP BY kind
# MAGIC ORDER BY kind

# COMMAND ----------

# The same in Python, with the DataFrame API: options as keyword arguments, the struct's fields as columns.
from pyspark.sql.functions import avg, col, trim

from gptoss_spark import gptoss

scored = (
    spark.table("questions")
    .withColumn("r", gptoss("question", output="struct", max_new_tokens=64))
    .select("id", "question", "answer", col("r.final").alias("prediction"), col("r.analysis").alias("reasoning"))
    .withColumn("correct", trim(col("prediction")) == trim(col("answer")))
    .cache()
)

accuracy = scored.agg(avg(col("correct").cast("double"))).first()[0]
print(f"accuracy: {100 * accuracy:.1f}%")
display(scored)

# COMMAND ----------

# Keep the results: Parquet for the answers, one row per question.
scored.write.mode("overwrite").parquet("/tmp/gptoss/tiny-qa-eval/answers")
