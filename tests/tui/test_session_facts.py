"""What the chat says about its session when it opens: `--llm record` names the cassette it writes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from lab.llm.cassette import CassetteStore
from lab.tui.session import facts_of


def lab(mode: str, store: CassetteStore | None) -> SimpleNamespace:
    return SimpleNamespace(
        describe_target=lambda: "embedded",
        flow="company.whatsapp.whatsapp_agent",
        llm_mode=mode,
        gateway=SimpleNamespace(cassettes=store),
    )


def test_record_mode_names_the_cassette_it_writes(tmp_path: Path) -> None:
    store = CassetteStore(tmp_path / "scenarios")
    assert facts_of(lab("record", store), None).records_to == str(
        tmp_path / "scenarios" / "recorded.cassette.yaml"
    )
    assert facts_of(lab("replay", store), None).records_to is None
    assert facts_of(lab("live", None), None).records_to is None
