"""The README's Databricks step builds the Python package as a wheel: `pip wheel --no-deps -w DIR ./python`."""

import subprocess
import sys
import zipfile

from conftest import REPO


def test_the_python_package_builds_as_a_wheel(tmp_path):
    build = tmp_path / "src"
    subprocess.run(["cp", "-r", str(REPO / "python"), str(build)], check=True)  # pip writes build/ beside the sources
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps", "-w",
                        str(tmp_path / "wheel"), str(build)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    wheels = list((tmp_path / "wheel").glob("gptoss_spark-*-py3-none-any.whl"))
    assert len(wheels) == 1, wheels
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "gptoss_spark/__init__.py" in names
    assert not any(n.startswith(("tests/", "examples/")) for n in names), names
