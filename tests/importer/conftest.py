"""The importer tests' project: the repository's flows, prompts and templates, an empty scenarios/
to import into, and no OPENAI_/WALAB_/KESTRA_ variable of the machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("flows", "prompts", "templates.yaml"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios").mkdir()
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_", "KESTRA_"))]:
        monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    return tmp_path
