"""Answers tiny-qa questions with gptoss() from PySpark and checks them against the reference answers.

Run from the repository root with the connector jar on the session (the README's spark-submit lines):
    spark-submit --jars JAR --py-files JAR ... python/examples/tiny_qa.py QUESTIONS.jsonl [LIMIT]
Prints one line per question, then "accuracy: P% (C/N)"; exits with 1 when an answer is wrong.
"""

import sys

from pyspark.sql import SparkSession
from pyspark.sql.functions import col

from gptoss_spark import gptoss


def main(questions_path: str, limit: int) -> int:
    spark = SparkSession.builder.appName("tiny-qa").getOrCreate()
    questions = spark.read.json(questions_path).orderBy("id").limit(limit)
    # The DataFrame API from Python, and the same function in SQL.
    scored = questions.withColumn("r", gptoss("question", max_new_tokens=64, output="struct")).select(
        "id", "question", "answer", col("r.final").alias("prediction"), col("r.error").alias("error"))
    scored.createOrReplaceTempView("scored")
    rows = spark.sql("SELECT *, trim(prediction) = trim(answer) AS correct FROM scored ORDER BY id").collect()
    for r in rows:
        print(f"{r.id}\t{r.question}\t{r.prediction}\t{'ok' if r.correct else 'WRONG (expected ' + r.answer + ')'}")
    correct = sum(1 for r in rows if r.correct)
    print(f"accuracy: {100.0 * correct / len(rows):.1f}% ({correct}/{len(rows)})")
    spark.stop()
    return 0 if rows and correct == len(rows) else 1


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: tiny_qa.py QUESTIONS.jsonl [LIMIT (default 40)]")
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 40))
