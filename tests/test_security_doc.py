"""SECURITY.md names the tests that show each claim: every one it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"`(tests/[\w/.]+?)(?:::(\w+))?`")


def test_every_test_security_md_names_exists() -> None:
    text = (ROOT / "SECURITY.md").read_text()
    missing = []
    for path, name in REFERENCE.findall(text):
        target = ROOT / path
        if not target.exists():
            missing.append(path)
        elif name and not re.search(rf"def {name}\b", target.read_text()):
            missing.append(f"{path}::{name}")
    assert missing == []
    assert len(REFERENCE.findall(text)) > 20  # the claims do name their tests
