"""gptoss_spark.gptoss() against real pyspark 4.0.1 and the connector jar: answers, struct form, options."""

import pytest
from pyspark.sql.functions import col, lit, trim

import gptoss_spark
from gptoss_spark import gptoss


def _answers(df):
    return {r["id"]: r["prediction"] for r in df.collect()}


def test_answers_the_tiny_qa_questions(questions):
    out = questions.withColumn("prediction", gptoss("question", max_new_tokens=64))
    rows = out.orderBy("id").collect()
    assert len(rows) == 24
    wrong = [(r["question"], r["answer"], r["prediction"]) for r in rows if (r["prediction"] or "").strip() != r["answer"]]
    assert wrong == []


def test_struct_form_has_the_answer_reasoning_and_counts(questions):
    out = questions.limit(4).withColumn("r", gptoss(col("question"), max_new_tokens=64, output="struct"))
    fields = out.schema["r"].dataType.fieldNames()
    for name in ("final", "analysis", "finish_reason", "prompt_tokens", "completion_tokens", "error"):
        assert name in fields
    for r in out.collect():
        assert r["r"]["final"].strip() == r["answer"]
        assert r["r"]["finish_reason"] == "stop"
        assert r["r"]["error"] is None
        assert r["r"]["prompt_tokens"] > 0 and 0 < r["r"]["completion_tokens"] <= 64


def test_options_dict_and_sql_give_the_same_answers(spark, questions):
    small = questions.limit(6)
    py = _answers(small.withColumn("prediction", gptoss(col("question"), options={"max_new_tokens": 64})))
    small.createOrReplaceTempView("gptoss_py_questions")
    sql = _answers(spark.sql("SELECT id, gptoss(question, map('max_new_tokens', '64')) AS prediction FROM gptoss_py_questions"))
    assert py == sql and len(py) == 6


def test_max_new_tokens_is_passed_to_the_engine(questions):
    r = questions.limit(1).select(gptoss("question", max_new_tokens=2, output="struct").alias("r")).first()["r"]
    assert r["completion_tokens"] == 2 and r["finish_reason"] == "length"


def test_a_bad_row_gets_a_null_answer_and_an_error(spark):
    df = spark.createDataFrame([("What is 5 + 1?",), (None,)], "question string")
    rows = df.select(gptoss("question", max_new_tokens=64, output="struct").alias("r")).collect()
    assert rows[0]["r"]["final"].strip() == "6" and rows[0]["r"]["error"] is None
    assert rows[1]["r"]["final"] is None and rows[1]["r"]["error"]


def test_response_format_gives_the_struct_a_typed_value(questions):
    from pyspark.sql.types import LongType

    df = questions.filter(col("question") == "What is 10 + 3?").select(
        gptoss("question", max_new_tokens=64, output="struct", response_format={"type": "integer"}).alias("r"))
    assert df.schema["r"].dataType["value"].dataType == LongType()
    r = df.first()["r"]
    assert r["value"] == 13 and r["error"] is None


def test_an_unsupported_schema_keyword_fails_when_planned_naming_it(questions):
    with pytest.raises(Exception, match="option 'response_format': unsupported keyword \"oneOf\" at \\$.properties.a"):
        questions.select(gptoss("question", response_format={"type": "object", "properties": {"a": {"oneOf": []}}}))


def test_an_unknown_option_fails_naming_it(questions):
    with pytest.raises(Exception, match="max_new_token"):
        questions.select(gptoss("question", max_new_token=64)).collect()


def test_none_option_value_is_an_error():
    with pytest.raises(ValueError, match="'seed' is None"):
        gptoss("question", seed=None)


def test_option_values_are_strings():
    assert gptoss_spark._option_value("x", True) == "true"
    assert gptoss_spark._option_value("x", 64) == "64"
    assert gptoss_spark._option_value("x", 0.5) == "0.5"
    assert gptoss_spark._option_value("x", {"type": "array", "items": {"type": "integer"}}) == (
        '{"type": "array", "items": {"type": "integer"}}')


def test_a_missing_jar_is_named(spark):
    with pytest.raises(RuntimeError, match="ai.gptoss.spark.NoSuchClass not found"):
        gptoss_spark._jvm_class(spark.sparkContext._jvm, "ai.gptoss.spark.NoSuchClass")


def test_a_spark_connect_session_is_told_to_use_sql(monkeypatch):
    import pyspark.sql.utils

    monkeypatch.setattr(pyspark.sql.utils, "is_remote", lambda: True)
    with pytest.raises(RuntimeError, match="Spark Connect session.*gptoss\\(prompt"):
        gptoss("question")
