"""gptoss() for PySpark: the connector's JVM function (ai.gptoss.spark.GptossFunctions) called through py4j.

Nothing runs in Python: the query plan is the same as from SQL, Java or Scala, and every executor answers
its rows with the model resident in its JVM. The session needs the connector jar and
``spark.sql.extensions=ai.gptoss.spark.GptossExtensions`` (see the README's "Python" section).

>>> from gptoss_spark import gptoss
>>> df.withColumn("answer", gptoss("prompt", max_new_tokens=64))
>>> df.withColumn("r", gptoss("prompt", output="struct"))   # final, analysis, finish_reason, ..., error
>>> df.withColumn("r", gptoss("prompt", output="struct", response_format={"type": "integer"}))  # r.value: bigint
"""

import json
from typing import Any, Mapping, Optional, Union

from pyspark.sql import Column

__all__ = ["gptoss", "EXTENSIONS"]
__version__ = "0.1.0"

#: The value of ``spark.sql.extensions`` that installs gptoss() in a session.
EXTENSIONS = "ai.gptoss.spark.GptossExtensions"


def gptoss(input: Union[Column, str], options: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Column:
    """The answer to each row's prompt string, chat messages (array<struct<role, content>>) or token ids.

    :param input: a column or a column name.
    :param options: options whose names are not Python identifiers, e.g. ``{"engine.max_seqs": 64}``.
    :param kwargs: options (docs/spark.md), e.g. ``max_new_tokens=64``, ``reasoning_effort="low"``,
        ``output="struct"`` (a struct of final, analysis, finish_reason, token counts, error, ...),
        ``response_format={...}`` (a JSON schema; with ``output="struct"`` the struct's ``value`` is the
        answer parsed into the schema's Spark type). Values are passed as strings: booleans as
        ``true``/``false``, dicts and lists as JSON text. Unknown names and bad values (a schema keyword
        that is not supported included) fail when the query is planned, naming the option.
    """
    merged = dict(options or {})
    merged.update(kwargs)
    strings = {str(name): _option_value(name, value) for name, value in merged.items()}
    from pyspark.sql.utils import is_remote

    if is_remote():
        raise RuntimeError(
            "gptoss_spark.gptoss() needs a classic Spark session (it calls the connector's JVM function "
            "through py4j); this is a Spark Connect session. Use SQL instead: "
            "expr(\"gptoss(prompt, map('max_new_tokens', '64'))\")."
        )
    from pyspark import SparkContext
    from pyspark.sql.classic.column import Column as ClassicColumn, _to_java_column

    sc = SparkContext._active_spark_context
    if sc is None or sc._jvm is None:
        raise RuntimeError("gptoss_spark.gptoss() needs an active SparkSession (SparkSession.builder...getOrCreate())")
    jopts = sc._jvm.java.util.HashMap()
    for name, value in strings.items():
        jopts.put(name, value)
    functions = _jvm_class(sc._jvm, "ai.gptoss.spark.GptossFunctions")
    return ClassicColumn(functions.gptoss(_to_java_column(input), jopts))


def _option_value(name: str, value: Any) -> str:
    if value is None:
        raise ValueError(f"gptoss(): option '{name}' is None; leave it out to use the default")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list)):
        return json.dumps(value)
    return str(value)


def _jvm_class(jvm: Any, name: str) -> Any:
    from py4j.java_gateway import JavaClass

    cls = jvm
    for part in name.split("."):
        cls = getattr(cls, part)
    if not isinstance(cls, JavaClass):
        raise RuntimeError(
            f"gptoss_spark: the connector jar is not on the driver's classpath ({name} not found). Start Spark "
            "with it: spark-submit --jars gptoss-spark_2.13-VERSION.jar (or --packages "
            "ai.gptoss:gptoss-spark_2.13:VERSION), or SparkSession.builder.config('spark.jars', PATH)."
        )
    return cls
