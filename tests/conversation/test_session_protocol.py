"""`LabSession` is what front ends drive: the real `Lab` and the test doubles provide all of it,
with the same parameters."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from lab.config import Settings
from lab.conversation.lab import Lab
from lab.conversation.session import LabSession

TESTS = Path(__file__).parents[1]
MEMBERS = [name for name in dir(LabSession) if not name.startswith("_")] + [
    "transcript",
    "settings",
    "clock",
]


def _fakes() -> list[type]:
    sys.path.insert(0, str(TESTS / "scenarios"))
    try:
        from fake_lab import FakeLab as ScenarioFake
    finally:
        sys.path.remove(str(TESTS / "scenarios"))
    from tui.fake_lab import (
        FakeLab as TuiFake,  # tests/ is on sys.path (its packages are top-level)
    )

    return [Lab, TuiFake, ScenarioFake]


def _parameters(fn: object) -> list[str]:
    return [p for p in inspect.signature(fn).parameters if p != "self"]  # type: ignore[arg-type]


@pytest.mark.parametrize("session", _fakes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_session_provides_the_protocol(session: type) -> None:
    for name in dir(LabSession):
        wanted = getattr(LabSession, name)
        if name.startswith("_") or not callable(wanted):
            continue
        assert hasattr(session, name), f"{session.__name__} lacks {name}"
        assert _parameters(getattr(session, name)) == _parameters(wanted), name
        assert inspect.iscoroutinefunction(getattr(session, name)) == inspect.iscoroutinefunction(
            wanted
        ), name
    assert isinstance(getattr(session, "contacts", None), property), "contacts is a property"


async def test_an_open_lab_is_a_lab_session(tmp_path: Path) -> None:
    root = Path(__file__).parents[2]
    settings = Settings(project_dir=root, flow="lead_qualification", llm_mode="scripted")
    async with Lab.open(settings) as lab:
        assert isinstance(lab, LabSession)
