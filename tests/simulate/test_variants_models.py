"""`walab simulate --variants … --models …`: each persona played with every prompt variant and model.

The first variant replays from the persona's own cassette and the others from their sibling
`NAME.<variant>.cassette.yaml`, as `walab compare` does for scenarios; the model reaches the flow
(its LLM_MODEL) and every row of the report is persona × variant × model. No key: the model calls
are recorded against the deterministic stub, then replayed with the stub gone.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from lab import cli, yamlio
from lab.prompts import variant_cassette_path

from .model_persona import write_model_persona

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "scenarios"))

from stub_llm import serve  # noqa: E402

STUB_KEY = "sk-stub-UPSTREAMsecret0123456789abcdef"
VARIANTS = "whatsapp_agent.default,whatsapp_agent.concise"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    write_model_persona(tmp_path, max_turns=6)
    return tmp_path


def test_the_variant_path_sits_beside_the_cassette() -> None:
    own = Path("personas/dona_cida.cassette.yaml")
    assert variant_cassette_path(own, "whatsapp_agent.concise") == Path(
        "personas/dona_cida.concise.cassette.yaml"
    )


def test_each_variant_records_its_own_cassette_and_replays_it_with_no_key(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve() as (url, stub):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", STUB_KEY)
        code = cli.main(
            ["simulate", "model_cida", "--variants", VARIANTS, "--llm", "record"]
            + ["--json", "--project", str(project)]
        )
        assert code == 0 and stub.requests > 0
    capsys.readouterr()
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    own = project / "personas" / "model_cida.cassette.yaml"
    concise = project / "personas" / "model_cida.concise.cassette.yaml"
    default_text = (ROOT / "prompts" / "whatsapp_agent.default.md").read_text(encoding="utf-8")
    concise_text = (ROOT / "prompts" / "whatsapp_agent.concise.md").read_text(encoding="utf-8")
    # Each cassette holds the agent's calls made with its own variant's system prompt.
    assert _prompt_line(concise_text) in concise.read_text(encoding="utf-8")
    assert _prompt_line(concise_text) not in own.read_text(encoding="utf-8")
    assert _prompt_line(default_text) in own.read_text(encoding="utf-8")

    code = cli.main(
        ["simulate", "model_cida", "--variants", VARIANTS, "--json", "--project", str(project)]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0, data
    rows = [(p["persona"], p["variant"], p["model"], p["pass^k"]) for p in data["personas"]]
    assert rows == [
        ("model_cida", "whatsapp_agent.default", "", 1.0),
        ("model_cida", "whatsapp_agent.concise", "", 1.0),
    ]


def test_models_reach_the_flow_and_make_rows(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve() as (url, _stub):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", STUB_KEY)
        code = cli.main(
            ["simulate", "model_cida", "--models", "gpt-4o-mini,gpt-4o", "--llm", "record"]
            + ["--project", str(project)]
        )
    table = capsys.readouterr().out
    assert code == 0, table
    assert "variant @ model" in table
    assert "default @ gpt-4o-mini" in table and "default @ gpt-4o " in table
    cassette = yamlio.parse(
        (project / "personas" / "model_cida.cassette.yaml").read_text(encoding="utf-8")
    )
    agent_models = {
        e["model"]
        for e in cassette["entries"]
        if not str(e["request"]["messages"][0]["content"]).startswith("Você é Aparecida")
        and "avalia" not in str(e["request"]["messages"][0]["content"])
    }
    assert agent_models == {"gpt-4o-mini", "gpt-4o"}


def test_save_refuses_several_variants(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["simulate", "model_cida", "--variants", VARIANTS, "--save", "x"]
        + ["--project", str(project)]
    )
    assert code == 2 and "--save keeps one conversation" in capsys.readouterr().err


def _prompt_line(text: str) -> str:
    """A line of the prompt's body (after its YAML header) long enough to be its own."""
    body = text.split("---", 2)[-1]
    return max((ln.strip() for ln in body.splitlines()), key=len)[:60]
