"""docs/security.md names, for each promise, the tests that prove it: every file and
test it names exists, so the document cannot point at a test that was renamed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def test_every_test_the_security_document_names_exists():
    document = (ROOT / "docs" / "security.md").read_text()
    named = 0
    for line in document.splitlines():
        current = None
        for match in REFERENCE.finditer(line):
            path, test = match.groups()
            if path:
                current = ROOT / path
                assert current.exists(), path
            if test:
                assert current is not None, f"{test} names no file"
                assert re.search(rf"^def {test}\(", current.read_text(), re.MULTILINE), (
                    f"{current.relative_to(ROOT)}::{test}"
                )
                named += 1
    assert named > 40
