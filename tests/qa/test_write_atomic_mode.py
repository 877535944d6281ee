"""Files walab writes (scenarios, cassettes, prompts, reports) keep normal permissions, not mkstemp's 0600."""

from __future__ import annotations

import os

from lab import yamlio


def test_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        yamlio.write_atomic(tmp_path / "a.yaml", "a: 1\n")
    finally:
        os.umask(old)
    assert (tmp_path / "a.yaml").stat().st_mode & 0o777 == 0o644


def test_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "prompt.md"
    target.write_text("old")
    target.chmod(0o640)
    yamlio.write_atomic(target, "new")
    assert target.read_text() == "new" and target.stat().st_mode & 0o777 == 0o640
