"""Executes the Databricks Python notebook as Databricks would: its %sql cells through spark.sql, then its
Python cells with `spark` and `display` bound, in the tests' session (the connector jar, local mode). The
questions path points at the repository's copy and the Parquet path at a temporary directory."""

from pathlib import Path

from conftest import QUESTIONS, REPO

NOTEBOOK = REPO / "notebooks/tiny_qa_eval_databricks.py"


def cells(magic):
    """Databricks' source format: cells between '# COMMAND ----------', magic lines as '# MAGIC ...'.
    magic=None gives the Python cells; '%sql' the SQL cells (without their magic line)."""
    text = NOTEBOOK.read_text()
    assert text.startswith("# Databricks notebook source\n")
    out = []
    for cell in text[len("# Databricks notebook source\n"):].split("\n# COMMAND ----------\n"):
        lines = cell.strip().split("\n")
        if all(l.startswith("# MAGIC") for l in lines):
            body = [l[len("# MAGIC "):] if len(l) > len("# MAGIC") else "" for l in lines]
            if magic is not None and body[0].strip() == magic:
                out.append("\n".join(body[1:]).strip())
        elif magic is None:
            out.append(cell.strip())
    return out


def test_databricks_python_notebook_runs(spark, tmp_path):
    sql = cells("%sql")
    assert len(sql) >= 5, sql
    last = None
    for stmt in sql:
        if stmt.startswith("SET gptoss.questions"):
            stmt = f"SET gptoss.questions = {QUESTIONS}"
        last = spark.sql(stmt).collect()
    assert [r["kind"] for r in last] == ["arithmetic", "capital"]
    assert sum(r["questions"] for r in last) == 40
    assert sum(r["correct"] for r in last) == 40, last

    shown = []
    scope = {"spark": spark, "display": shown.append}
    python = cells(None)
    assert len(python) >= 2, python
    for i, code in enumerate(python):
        code = code.replace("/tmp/gptoss/tiny-qa-eval/answers", str(tmp_path / "answers"))
        exec(compile(code, f"{NOTEBOOK.name}, Python cell {i}", "exec"), scope)
    assert scope["accuracy"] == 1.0
    assert shown and shown[0].count() == 40
    assert spark.read.parquet(str(tmp_path / "answers")).count() == 40
    spark.sql("UNCACHE TABLE answers")
    spark.conf.unset("spark.gptoss.max_new_tokens")
