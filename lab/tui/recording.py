"""The TUI's handle on the scenario recorder: start with a name, count turns, stop with a path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.tui.screens.record import slug
from lab.tui.session import maybe_await


@dataclass(slots=True)
class Recording:
    """A recording in progress (the recorder writes each finished turn itself)."""

    name: str
    path: Path
    recorder: Any
    turns: int = 0

    def status(self) -> str:
        return f"{self.name} · {self.turns} turn{'s' if self.turns != 1 else ''} → {self.path.name}"


async def start_recording(lab: Any, scenarios_dir: Path, name: str) -> Recording:
    """Start the scenario recorder on the session; the file appears at the first finished turn."""
    try:
        from lab.scenarios.recorder import Recorder
    except ImportError as exc:
        raise LabError("the scenario recorder is not available in this build", where=str(exc),
                       fix="use `walab record` from a terminal instead") from None
    path = scenarios_dir / f"{slug(name)}.yaml"
    if path.exists():
        raise LabError(f"a scenario named {path.name} already exists", where=str(path),
                       fix="choose another name, or delete or rename the existing file")
    # The file name is also the scenario's name (and its cassette's); the words typed describe it.
    recorder = Recorder(lab, path, slug(name), description=name if name != slug(name) else None)
    await maybe_await(recorder.start())
    # The recorder files the scenario under its flow's folder (scenarios/<flow_id>/): show that path.
    return Recording(name, Path(getattr(recorder, "path", path)), recorder)


async def stop_recording(recording: Recording) -> Path:
    """Stop; returns the scenario file written."""
    result = await maybe_await(recording.recorder.stop())
    return Path(result) if result else recording.path
