"""What the compare view runs: scenario and variant choices, and a cancellable matrix run (no widgets).

The matrix itself is `lab.promptlab.compare.run_matrix`; this module picks its inputs from the
project (bundled scenarios of the flow, the flow's prompt files) and makes a run stoppable from
the UI: a cancel stops the cell being played at once and keeps every finished cell.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable

from lab.errors import ConfigError, LabError
from lab.prompts import load_prompts

# auto is the default, as in `walab compare`: each scenario plays its own source (its cassette, its
# scripted replies, or no model), offline, free and deterministic.
MODES = ("auto", "replay", "scripted", "live")
MODE_HELP = {
    "auto": "each scenario's own source, free",
    "replay": "cassettes, free",
    "scripted": "scripted replies",
    "live": "LLM upstream, costs",
}
# The scenario sources each mode plays as they are (live plays every one, against the upstream).
PLAYS = {"auto": {"cassette", "scripted", "none"}, "replay": {"cassette"}, "scripted": {"scripted"}}


def playable(mode: str, source: str) -> bool:
    """Whether `mode` plays a scenario whose LLM replies come from `source`."""
    return mode == "live" or source in PLAYS.get(mode, set())


def skipped_note(mode: str, scenarios: list["ScenarioChoice"]) -> str:
    """The scenarios `mode` does not play, and why (empty when it plays them all)."""
    left = [s for s in scenarios if not playable(mode, s.source)]
    if not left:
        return ""
    names = ", ".join(f"{s.name} ({s.source})" for s in left)
    why = (
        "a live scenario costs money: live mode plays it"
        if mode == "auto"
        else "auto mode (F7) plays each scenario from its own source"
    )
    return f"Not ticked in {mode} mode: {names}; {why}."


@dataclass(slots=True)
class ScenarioChoice:
    """A bundled scenario file as the compare view lists it."""

    path: Path
    name: str
    flow: str  # the scenario's flow id (without the namespace)
    source: str  # where its LLM replies come from: cassette, scripted or live


@dataclass(slots=True)
class CompareRequest:
    """What the person chose: scenario files, variants (first = baseline) and the LLM mode."""

    scenarios: list[Path]
    variants: list[str]
    mode: str = "auto"
    models: list[str] = field(default_factory=lambda: [""])


def bundled_scenarios(scenarios_dir: Path) -> list[ScenarioChoice]:
    """Scenario files under scenarios/ (cassettes and snapshots left out); unreadable ones are skipped."""
    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.scenarios.loader import load_scenario

    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.scenarios.pytest_plugin import is_scenario_file

    if not scenarios_dir.is_dir():
        return []
    out = []
    for f in sorted(scenarios_dir.rglob("*.y*ml")):
        if not is_scenario_file(f.resolve()):
            continue
        try:
            sc = load_scenario(f)
        except LabError:  # a broken file is the scenario tools' business; the list stays usable
            continue
        out.append(ScenarioChoice(f, sc.name, sc.flow_id, sc.llm.source))
    return out


def flow_variants(prompts_dir: Path, flow: str) -> list[Any]:
    """The flow's prompt files, the default one first (it is the natural baseline)."""

    mine = [p for p in load_prompts(prompts_dir) if p.flow == flow]
    return sorted(mine, key=lambda p: (p.variant != "default", p.id))


def load_cases(request: CompareRequest) -> list[Any]:
    """Every test case of the chosen scenario files."""
    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.scenarios.expand import expand

    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.scenarios.loader import load_scenario

    if not request.scenarios:
        raise ConfigError(
            "no scenario chosen", fix="tick at least one scenario in the list (space), then run"
        )
    if len(request.variants) < 2:
        raise ConfigError(
            "a compare needs two or more prompt variants",
            fix="tick at least two variants in the list (space), then run",
        )
    return [case for path in request.scenarios for case in expand(load_scenario(path))]


class _CancellablePlayer:
    """Plays a case on its own event loop and aborts it when the run is cancelled."""

    def __init__(self, player: Any, cancel: threading.Event) -> None:
        self.player = player
        self.cancel = cancel

    def play_sync(self, case: Any) -> Any:
        if self.cancel.is_set():
            raise KeyboardInterrupt  # run_matrix's way to stop: it keeps the cells already finished
        if not hasattr(self.player, "play"):
            return self.player.play_sync(case)
        try:
            return asyncio.run(self._play(case))
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None

    async def _play(self, case: Any) -> Any:
        task = asyncio.ensure_future(self.player.play(case))
        while not task.done():
            if self.cancel.is_set():
                task.cancel()  # the lab session closes cleanly; the unfinished cell is dropped
            await asyncio.wait({task}, timeout=0.05)
        return task.result()


def run_compare(
    request: CompareRequest,
    *,
    project_dir: Path,
    cancel: threading.Event,
    on_cell: Callable[[Any], None],
    player_factory: Callable[..., Any] | None = None,
) -> Any:
    """Run the matrix (blocking: call it from a thread worker); returns the CompareRun."""
    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.promptlab.compare import run_matrix

    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.scenarios.player import Player

    cases = load_cases(request)
    make = player_factory or partial(Player, project_dir=project_dir)

    def cancellable(**kw: Any) -> Any:
        return _CancellablePlayer(make(**kw), cancel)

    return run_matrix(
        cases,
        request.variants,
        request.models,
        mode=request.mode,
        player_factory=cancellable,
        on_cell=on_cell,
        prompts_dir=project_dir / "prompts",
    )


def live_estimate(request: CompareRequest, prompts_dir: Path) -> tuple[str, float | None]:
    """The pre-run estimate of a live compare, as lines to show, and its total (None: price unknown)."""
    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.promptlab.estimate import estimate, total_cost

    est = estimate(load_cases(request), request.variants, request.models, prompts_dir)
    lines = [
        f"{e.variant} @ {e.model}: {e.prompt_tokens} prompt tok × {e.turns} turns → "
        f"{e.input_tokens:,} in / {e.output_tokens:,} out, "
        + ("price unknown" if e.cost_usd is None else f"${e.cost_usd:.4f}")
        for e in est
    ]
    total = total_cost(est)
    lines.append(
        "total: "
        + ("price unknown" if total is None else f"${total:.4f}")
        + " (tiktoken prompt tokens × turns × price; replies ~120 tokens)"
    )
    return "\n".join(lines), total
