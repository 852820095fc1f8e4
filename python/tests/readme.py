"""The README's tested snippets: a fenced block right after a line ``<!-- tested: NAME -->``."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def block(name: str) -> str:
    text = README.read_text()
    m = re.search(r"<!-- tested: " + re.escape(name) + r" -->\n```[a-z]*\n(.*?)\n```", text, re.S)
    if m is None:
        raise AssertionError(f"README.md has no block marked <!-- tested: {name} -->")
    return m.group(1)
