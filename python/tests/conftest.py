"""Shared fixtures: one local SparkSession per test run, started from pip's pyspark with only the connector jar.

The Maven build (gptoss-spark's PythonTestsIT) runs these tests in its virtual environment with
GPTOSS_SPARK_JAR set to the jar it just built; run by hand from the repository root after ./setup.sh:
``python -m pytest python/tests`` (with pyspark==4.0.1 and pytest installed).
"""

import glob
import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "examples/src/main/resources/ai/gptoss/examples/tiny-qa.questions.jsonl"
VECTOR = "--add-modules=jdk.incubator.vector"


def connector_jar() -> str:
    jar = os.environ.get("GPTOSS_SPARK_JAR")
    if jar:
        return jar
    jars = glob.glob(str(REPO / "gptoss-spark/target/gptoss-spark_2.13-*.jar"))
    jars = [j for j in jars if not os.path.basename(j).startswith("original-")]
    if len(jars) != 1:
        raise RuntimeError(f"set GPTOSS_SPARK_JAR, or build the jar (./setup.sh): found {jars}")
    return jars[0]


def tiny_qa(limit: int):
    """The first `limit` tiny-qa questions as (id, question, answer) dicts, in id order."""
    with open(QUESTIONS) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return sorted(rows, key=lambda r: r["id"])[:limit]


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]").appName("gptoss_spark tests")
        .config("spark.jars", connector_jar())
        .config("spark.sql.extensions", "ai.gptoss.spark.GptossExtensions")
        .config("spark.driver.extraJavaOptions", VECTOR)
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def questions(spark):
    rows = tiny_qa(24)
    return spark.createDataFrame(rows).select("id", "question", "answer")
