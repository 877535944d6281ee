"""Scenario names with accents are transliterated, the same in the TUI (F3) and in `walab record`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lab.scenarios.recorder import plain_letters, scenario_slug
from lab.tui.screens.record import slug

ROOT = Path(__file__).resolve().parents[2]


def test_accents_are_dropped_not_turned_into_underscores():
    assert scenario_slug("orçamento") == slug("orçamento") == "orcamento"
    assert slug("Orçamento rápido: São Paulo!") == "orcamento_rapido_sao_paulo"
    assert plain_letters("João Ação") == "Joao Acao"


def test_walab_record_takes_a_name_with_accents(tmp_path: Path) -> None:
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    done = subprocess.run(
        [sys.executable, "-m", "lab", "record", "orçamento", "--llm", "scripted"],
        input="Oi\n/quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert list((tmp_path / "scenarios").rglob("orcamento.yaml")), done.stdout
