"""What a cluster user does: the README's spark-submit lines, run as they are from the repository root with
pyspark's own spark-submit, the connector jar as the only addition (no PYTHONPATH: gptoss_spark comes from
the jar), then the README's plain-Python session snippet."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, connector_jar, tiny_qa
from readme import block

VECTOR_WARNING = "--add-modules jdk.incubator.vector"


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SPARK_HOME", "PYSPARK_SUBMIT_ARGS")}
    # spark-submit, pyspark and python from the environment that runs these tests (pip's pyspark 4.0.1).
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def _run(script: str, env, timeout=600):
    p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, f"exit {p.returncode}\n--- stdout\n{p.stdout}\n--- stderr\n{p.stderr[-6000:]}"
    return p


def _check_tiny_qa(stdout: str, n: int):
    assert f"accuracy: 100.0% ({n}/{n})" in stdout, stdout
    expected = {str(q["id"]): q["answer"] for q in tiny_qa(n)}
    lines = [l.split("\t") for l in stdout.splitlines() if l.count("\t") == 3]
    assert {l[0]: l[2] for l in lines} == expected


def test_readme_jar_is_the_built_one():
    jar = block("spark-submit-jars").split("--jars ", 1)[1].split()[0]
    assert os.path.samefile(REPO / jar, connector_jar())


def test_spark_submit_with_the_jar():
    p = _run(block("spark-submit-jars"), _env())
    _check_tiny_qa(p.stdout, 40)
    assert VECTOR_WARNING not in p.stderr


def test_spark_submit_with_packages_from_the_local_maven_repository(tmp_path):
    # A home of its own: ivy resolves from <home>/.m2/repository (what ./setup.sh's mvn install fills) and
    # caches in <home>/.ivy2*, so the test sees only the jar and poms this build made.
    jar = Path(connector_jar())
    m2 = tmp_path / "home/.m2/repository/ai/gptoss"
    version = jar.name[len("gptoss-spark_2.13-"):-len(".jar")]
    (m2 / f"gptoss-spark_2.13/{version}").mkdir(parents=True)
    (m2 / f"gptoss-parent/{version}").mkdir(parents=True)
    shutil.copy(jar, m2 / f"gptoss-spark_2.13/{version}/gptoss-spark_2.13-{version}.jar")
    shutil.copy(jar.parent / "dependency-reduced-pom.xml", m2 / f"gptoss-spark_2.13/{version}/gptoss-spark_2.13-{version}.pom")
    shutil.copy(REPO / "pom.xml", m2 / f"gptoss-parent/{version}/gptoss-parent-{version}.pom")
    script = block("spark-submit-packages")
    assert f"ai.gptoss:gptoss-spark_2.13:{version}" in script
    p = _run(script, _env(SPARK_SUBMIT_OPTS=f"-Duser.home={tmp_path / 'home'}"))
    _check_tiny_qa(p.stdout, 40)
    assert "ai.gptoss#gptoss-spark_2.13;" + version + " in local-m2-cache" in p.stderr, p.stderr[-4000:]


def test_readme_python_session_snippet():
    # As after `pip install ./python`: the package from the repository, the jar from the snippet's spark.jars.
    p = _run("python - <<'PY'\n" + block("python-session") + "\nPY", _env(PYTHONPATH=str(REPO / "python")))
    rows = [[c.strip() for c in l.split("|")[1:-1]] for l in p.stdout.splitlines() if l.startswith("|")]
    assert rows[0] == ["question", "answer", "prediction"], p.stdout
    assert len(rows) == 9 and all(r[1] == r[2] for r in rows[1:]), p.stdout



# Spark 4.0's launch code gives the JVMs it starts (spark-submit's driver, executors) --add-modules=
# jdk.incubator.vector itself (org.apache.spark.launcher.JavaModuleOptions). A JVM started otherwise, e.g. an
# application's own `java` command, has only Spark's other module options, as here.
SPARK_OPENS = [
    "-XX:+IgnoreUnrecognizedVMOptions", "-Djdk.reflect.useDirectMethodHandle=false",
    "-Dio.netty.tryReflectionSetAccessible=true",
] + [f"--add-opens={m}=ALL-UNNAMED" for m in (
    "java.base/java.lang", "java.base/java.lang.invoke", "java.base/java.lang.reflect", "java.base/java.io",
    "java.base/java.net", "java.base/java.nio", "java.base/java.util", "java.base/java.util.concurrent",
    "java.base/java.util.concurrent.atomic", "java.base/jdk.internal.ref", "java.base/sun.nio.ch",
    "java.base/sun.nio.cs", "java.base/sun.security.action", "java.base/sun.util.calendar",
    "java.security.jgss/sun.security.krb5")]


def test_a_jvm_without_the_vector_module_warns_once_naming_the_flag(tmp_path):
    import json

    import pyspark

    questions = tiny_qa(2)
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": str(q["id"]), "prompt": q["question"]}) + "\n" for q in questions))
    spark_jars = Path(pyspark.__file__).parent / "jars"
    java = Path(os.environ.get("JAVA_HOME", "/usr")) / "bin/java"
    # The jar's main class is spark-generate: the JVM-only path, with the jar and Spark's own jars.
    cmd = [str(java), *SPARK_OPENS, "-cp", f"{connector_jar()}{os.pathsep}{spark_jars}/*", "ai.gptoss.spark.generate.SparkGenerate",
           "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out"), "--master", "local[1]",
           "--partitions", "1"]
    p = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-6000:]
    out = [json.loads(l) for f in sorted((tmp_path / "out").glob("part-*")) for l in f.read_text().splitlines() if l]
    assert {r["id"]: r["final"] for r in out} == {str(q["id"]): q["answer"] for q in questions}
    warnings = [l for l in p.stderr.splitlines() if VECTOR_WARNING in l]
    assert len(warnings) == 1 and " WARN " in warnings[0], p.stderr[-6000:]
