"""`walab compare` with personas as rows: simulated conversations per variant, rubric view in HTML.

No key: a scripted persona plays offline; a model-played persona's simulated user and judge are
recorded against the deterministic stub, then compared from the cassette with the stub gone.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from lab import cli, yamlio
from lab.promptlab.persona_cells import cell_of_conversations
from lab.simulate.batch import Job, play_async

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "scenarios"))

from stub_llm import serve  # noqa: E402

STUB_KEY = "sk-stub-UPSTREAMsecret0123456789abcdef"
VARIANTS = "whatsapp_agent.default,whatsapp_agent.concise"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)


def _result(run: int, passed: bool, total: float) -> dict:
    return {
        "run": run,
        "passed": passed,
        "outcome": "goal_reached" if passed else "gave_up",
        "failures": [],
        "error": None,
        "cost_usd": 0.001,
        "tokens_in": 100,
        "tokens_out": 10,
        "rubric": {
            "judge": "gpt-4o-mini",
            "total": total,
            "threshold": 0.7,
            "passed": total >= 0.7,
            "scores": [{"criterion": "goal reached", "weight": 3, "score": total, "reason": "why"}],
        },
        "conversation": [
            {"user": {"say": "Oi"}, "agent": ["Olá!"], "tokens_in": 50, "cost_usd": 0.0005},
            {"user": {"tap": "Ver planos"}, "agent": ["Temos três planos."]},
        ],
    }


def test_a_persona_cell_counts_pass_k_and_keeps_every_verdict() -> None:
    cell = cell_of_conversations(
        "persona x",
        "v",
        "",
        [_result(1, True, 1.0), _result(2, False, 0.4), _result(3, True, 0.9)],
    )
    assert (cell.runs, cell.passed_runs, cell.passed) == (3, 2, False)
    assert cell.pass_hat_k == 0.0 and cell.pass_at_k == 1.0
    assert cell.rubric_score == pytest.approx((1.0 + 0.4 + 0.9) / 3)
    assert cell.cost_usd == pytest.approx(0.003) and cell.tokens_in == 300
    assert [t.user for t in cell.turns] == ["Oi", "[tap] Ver planos"]
    assert cell.failures == ["run 2 (gave_up): rubric 0.40 < 0.7"]


def test_compare_takes_a_persona_beside_a_scenario(tmp_path: Path) -> None:
    out_json, out_html = tmp_path / "c.json", tmp_path / "c.html"
    code = cli.main(
        [
            "compare",
            str(ROOT / "scenarios" / "whatsapp_agent" / "greeting_plans.yaml"),
            str(ROOT / "personas" / "dona_cida.yaml"),
            "--variants",
            VARIANTS,
            "--repeat",
            "2",
            "--json",
            str(out_json),
            "--html",
            str(out_html),
        ]
    )
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert data["scenarios"] == ["greeting_plans"] and data["personas"] == ["persona dona_cida"]
    assert data["complete"] and code == 1  # the concise variant fails greeting_plans' expectations
    personas = [c for c in data["cells"] if c["kind"] == "persona"]
    assert [(c["variant"], c["runs"], c["passed_runs"], c["pass_hat_k"]) for c in personas] == [
        ("whatsapp_agent.default", 2, 2, 1.0),
        ("whatsapp_agent.concise", 2, 2, 1.0),
    ]
    assert personas[0]["turns"][0]["user"] == "Oi" and personas[0]["turns"][0]["replies"]
    html = out_html.read_text(encoding="utf-8")
    assert "<th>persona dona_cida</th>" in html and "2/2 runs · pass^k 1.00" in html
    rubric = html[html.index("id='rubric-dona_cida'") :]
    for criterion in ("goal reached", "facts right", "tone"):
        assert f"<td>{criterion}</td>" in rubric
    assert "no judge: scored by the outcome (goal_reached)" in rubric


def test_a_judged_persona_shows_the_judges_reasons_from_its_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    persona = tmp_path / "personas" / "model_cida.yaml"
    persona.parent.mkdir()
    persona.write_text(
        yamlio.dumps(
            {
                "version": 1,
                "name": "model_cida",
                "flow": "company.whatsapp/whatsapp_agent",
                "contact": {"name": "Aparecida Santos", "wa_id": "5519912345678"},
                "goal": "agendar a visita técnica",
                "model": "gpt-4o-mini",
                "max_turns": 6,
                "judge": {"model": "gpt-4o-mini"},
            }
        ),
        encoding="utf-8",
    )
    with serve() as (url, _stub):
        asyncio.run(
            play_async(
                Job(
                    persona,
                    1,
                    tmp_path,
                    "record",
                    settings_overrides={"llm_upstream_url": url, "llm_upstream_key": STUB_KEY},
                )
            )
        )
    html_path = tmp_path / "c.html"
    code = cli.main(
        ["compare", str(tmp_path / "personas"), "--variants", "whatsapp_agent.default"]
        + ["--html", str(html_path)]
    )
    table = capsys.readouterr().out
    assert code == 0, table
    assert "persona model_cida" in table and "yes pass^k 1.00" in table
    assert "rubric 1.00 (>= 0.7)" in table
    html = html_path.read_text(encoding="utf-8")
    rubric = html[html.index("id='rubric-model_cida'") :]
    assert "judge gpt-4o-mini" in rubric and "stub judge: full marks" in rubric
    assert STUB_KEY not in html


def test_an_unrecorded_variant_says_how_to_record_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        ["compare", str(ROOT / "personas" / "dona_cida_modelo.yaml"), "--variants", VARIANTS]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "walab simulate dona_cida_modelo --runs 1 --variants "
        "whatsapp_agent.default,whatsapp_agent.concise --llm record" in out
    )
