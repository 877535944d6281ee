"""The prompt lab's matrix: scenario × prompt variant × model, each cell a played conversation.

Personas are rows too (`lab.promptlab.persona_cells`): their cells are simulated conversations,
judged by the persona's rubric, k runs each (pass^k).

A cell keeps what a prompt engineer compares: assertions passed/failed, tokens in/out, cost,
latency p50/p95 and the replies of every turn. `word_diff` lines a variant's reply up against the
baseline's word by word; `totals` sums per variant and model. Cells finish one by one, reported
through `on_cell`, so a cancelled run keeps every finished cell.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lab.config import load_settings
from lab.kestra import coverage
from lab.promptlab.cells import Cell, TurnResult, percentile
from lab.promptlab.persona_cells import persona_row, play_persona_cell
from lab.prompts import find_prompt, load_prompts, variant_cassette_path
from lab.scenarios.assertions import describe_failures, views
from lab.scenarios.model import ScenarioCase
from lab.scenarios.player import Player, project_dir_of
from lab.scenarios.replies import bubble_text


@dataclass
class CompareRun:
    """The whole matrix and what is needed to read it."""

    variants: list[str]
    models: list[str]
    scenarios: list[str]
    mode: str
    cells: list[Cell] = field(default_factory=list)
    prompt_diffs: dict[str, str] = field(
        default_factory=dict
    )  # variant -> unified diff against the baseline
    prompt_hashes: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False
    seconds: float = 0.0
    # flow coverage of the run's executions on the embedded engine (FlowCoverage.to_json per flow)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    personas: list[str] = field(default_factory=list)  # persona rows, after the scenarios

    @property
    def rows(self) -> list[str]:
        """Every row of the matrix: the scenarios, then the personas."""
        return self.scenarios + self.personas

    @property
    def baseline(self) -> str:
        return self.variants[0]

    @property
    def total(self) -> int:
        return len(self.variants) * len(self.models) * len(self.rows)

    def cell(self, scenario: str, variant: str, model: str) -> Cell | None:
        return next(
            (
                c
                for c in self.cells
                if (c.scenario, c.variant, c.model) == (scenario, variant, model)
            ),
            None,
        )

    def cost_so_far(self) -> float:
        return sum(c.cost_usd or 0.0 for c in self.cells)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "mode": self.mode,
            "variants": self.variants,
            "models": self.models,
            "scenarios": self.scenarios,
            "personas": self.personas,
            "baseline": self.baseline,
            "cancelled": self.cancelled,
            "seconds": round(self.seconds, 3),
            "complete": len(self.cells) == self.total,
            "prompt_hashes": self.prompt_hashes,
            "prompt_diffs": self.prompt_diffs,
            "totals": totals(self),
            "coverage": self.coverage,
            "cells": [c.to_dict() for c in self.cells],
        }


def cell_of(playback: Any, variant: str, model: str) -> Cell:
    """A cell from a scenario Playback."""

    turns = []
    for t in playback.transcript.turns:
        turns.append(
            TurnResult(
                user=t.inbound.summary,
                replies=[bubble_text(v) for v in views(t)],
                tokens_in=t.input_tokens,
                tokens_out=t.output_tokens,
                cost_usd=t.cost_usd,
                latency_ms=t.timings.terminal_ms,
                state=t.state,
            )
        )
    latencies = [t.latency_ms for t in turns if t.latency_ms is not None]
    costs = [t.cost_usd for t in turns]
    failures = describe_failures(playback.failures, playback.transcript.turns) + (
        [playback.error] if playback.error else []
    )
    return Cell(
        scenario=playback.case.test_name,
        variant=variant,
        model=model,
        passed=playback.passed,
        checks_passed=sum(1 for c in playback.checks if c.ok),
        checks_failed=len(playback.failures),
        failures=failures,
        tokens_in=sum(t.tokens_in for t in turns),
        tokens_out=sum(t.tokens_out for t in turns),
        cost_usd=None if any(c is None for c in costs) else round(sum(costs), 8),  # type: ignore[arg-type]
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        turns=turns,
        runs=playback.runs,
        passed_runs=playback.passed_runs if playback.runs > 1 else int(playback.passed),
        error=playback.error,
        seconds=playback.seconds,
        cassette_miss=cassette_missed(playback),
    )


def variant_cassette(case: ScenarioCase, variant: str, baseline: str) -> Path | None:
    """The cassette a cell replays from / records into: the scenario's own for its prompt, one per variant else."""
    own = case.scenario.llm.cassette
    if own is None or variant == (case.scenario.prompt or baseline):
        return own
    return variant_cassette_path(own, variant)


Progress = Callable[[int, int, float, float, Cell], None]


def run_matrix(
    cases: list[ScenarioCase],
    variants: list[str],
    models: list[str],
    *,
    mode: str,
    player_factory: Callable[..., Any] | None = None,
    on_cell: Callable[[CompareRun], None] | None = None,
    progress: Progress | None = None,
    prompts_dir: Path | None = None,
    personas: list[Path] | None = None,
    persona_runs: int | None = None,
) -> CompareRun:
    """Play every cell (scenarios, then personas); a KeyboardInterrupt keeps the finished cells.

    `personas` are persona files, each a row played `persona_runs` times (default: its `runs`).
    """

    run = CompareRun(
        variants=variants,
        models=models,
        scenarios=[c.test_name for c in cases],
        mode=mode,
        personas=[persona_row(p) for p in personas or []],
    )
    if prompts_dir is not None:
        run.prompt_diffs, run.prompt_hashes = prompt_diffs(prompts_dir, variants)
    make = player_factory or Player
    started = time.perf_counter()
    with coverage.recording() as recorder:
        try:
            for case in cases:
                for variant in variants:
                    for model in models:
                        cell = _play_cell(make, case, variant, model, mode, variants[0])
                        _finished(run, cell, started, recorder, on_cell, progress)
            for path in personas or []:
                for variant in variants:
                    for model in models:
                        cell = play_persona_cell(
                            path, variant, model, mode, baseline=variants[0], runs=persona_runs
                        )
                        _finished(run, cell, started, recorder, on_cell, progress)
        except KeyboardInterrupt:
            run.cancelled = True
        run.coverage = _coverage_of(recorder)
    run.seconds = time.perf_counter() - started
    return run


def _finished(
    run: CompareRun,
    cell: Cell,
    started: float,
    recorder: coverage.Recorder,
    on_cell: Callable[[CompareRun], None] | None,
    progress: Progress | None,
) -> None:
    """A cell is done: keep it and say so."""
    run.cells.append(cell)
    run.seconds = time.perf_counter() - started
    run.coverage = _coverage_of(recorder)
    if on_cell is not None:
        on_cell(run)
    if progress is not None:
        progress(len(run.cells), run.total, run.seconds, run.cost_so_far(), cell)


def _coverage_of(recorder: coverage.Recorder) -> list[dict[str, Any]]:
    return [c.to_json() for c in sorted(recorder.flows.values(), key=lambda c: c.flow)]


def _play_cell(
    make: Callable[..., Any], case: ScenarioCase, variant: str, model: str, mode: str, baseline: str
) -> Cell:
    """Play one cell; in update mode, replay first and re-record only when the cassette misses.

    Update mode (re)records cassette scenarios only: a scripted, live or model-less scenario plays
    its own source, so its scripted errors are never replaced by a live model's answers.
    """
    cassette = variant_cassette(case, variant, baseline)
    if mode == "update" and case.scenario.llm.source != "cassette":
        mode = "auto"
    llm_mode = {"auto": None, "update": "replay"}.get(mode, mode)
    playback = make(
        prompt=variant, model=model or None, llm_mode=llm_mode, cassette=cassette
    ).play_sync(case)
    if mode == "update" and cassette_missed(playback) and not _can_record(case):
        # Nothing to record with: keep the replayed cell, say it needs recording, go on with the
        # others (the command names every such cell at the end).
        cell = cell_of(playback, variant, model)
        cell.needs_recording, cell.hint = True, NO_UPSTREAM
        return cell
    if mode == "update" and cassette_missed(playback):
        # Cassette keys carry the prompt's hash and the model: a miss means this cell's prompt or
        # model changed since it was recorded (or it never was), so only this cell goes upstream.
        playback = make(
            prompt=variant, model=model or None, llm_mode="record", cassette=cassette
        ).play_sync(case)
        cell = cell_of(playback, variant, model)
        cell.recorded = True
        return cell
    cell = cell_of(playback, variant, model)
    if not cell.passed and cell.cassette_miss:
        cell.hint = miss_hint(case, variant, model, mode)
    return cell


NO_UPSTREAM = (
    "needs recording: the cassette has no recording for this prompt or model, and no upstream is "
    "configured to record one (set OPENAI_API_KEY, and OPENAI_BASE_URL for another OpenAI-compatible "
    "server, then run `--llm update` again)"
)


def _can_record(case: ScenarioCase) -> bool:
    """Whether record mode has an upstream for this scenario's project (as the lab checks it)."""

    settings = load_settings(project_dir_of(case.scenario.path))
    return bool(settings.llm_upstream_key or settings.llm_upstream_url)


def needs_recording(run: CompareRun) -> list[str]:
    """The cells `--llm update` could not record for want of an upstream, as `scenario · variant @ model`."""
    return [
        f"{c.scenario} · {c.variant}" + (f" @ {c.model}" if c.model else "")
        for c in run.cells
        if c.needs_recording
    ]


def miss_hint(case: ScenarioCase, variant: str, model: str, mode: str) -> str:
    """Why a replay found no recording, and the run that fixes it."""
    if case.scenario.llm.source == "scripted" and mode == "replay":
        return (
            "these scenarios script their LLM replies and have no cassette, so `--llm replay` misses every "
            "call: use `--llm auto` (the default), which plays each scenario's own source"
        )
    if case.scenario.llm.source == "live":
        return "a live scenario has no cassette: use `--llm update` or `--llm record` (OPENAI_API_KEY set) to record one"
    column = variant + (f" @ {model}" if model else "")
    return (
        f"the cassette has no recording for {column} (its prompt or model differs from what was recorded): "
        "run with `--llm update` (replays what is recorded and records only the missing cells; "
        "OPENAI_API_KEY set), or compare the recorded variant alone"
    )


def cassette_missed(playback: Any) -> bool:
    """True when a replayed call found no recording (the gateway answers 404)."""
    return any(
        c.mode == "replay" and c.status == 404
        for t in playback.transcript.turns
        for c in t.llm_calls
    )


def prompt_diffs(prompts_dir: Path, variants: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each variant's prompt as a unified diff against the baseline (the first variant), and every hash."""

    prompts = load_prompts(prompts_dir)
    files = {v: find_prompt(prompts, v) for v in variants}
    base = files[variants[0]]
    diffs = {}
    for v, f in files.items():
        if v != variants[0]:
            diffs[v] = "\n".join(
                difflib.unified_diff(
                    base.text.splitlines(), f.text.splitlines(), base.id, f.id, lineterm=""
                )
            )
    return diffs, {v: f.hash for v, f in files.items()}


_WORDS = re.compile(r"\s+|[^\s]+")


def word_diff(baseline: str, other: str) -> list[tuple[str, str]]:
    """(op, text) runs turning baseline into other, op in `=`, `-`, `+`; whitespace kept."""
    a, b = _WORDS.findall(baseline), _WORDS.findall(other)
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("=", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("-", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("+", "".join(b[j1:j2])))
    return out


def totals(run: CompareRun) -> dict[str, dict[str, Any]]:
    """Per `variant` (and `variant @ model` when several models): cells passed, tokens, cost, latency."""
    out: dict[str, dict[str, Any]] = {}
    for variant in run.variants:
        for model in run.models:
            cells = [c for c in run.cells if c.variant == variant and c.model == model]
            key = variant if len(run.models) == 1 else f"{variant} @ {model or 'default'}"
            costs = [c.cost_usd for c in cells]
            lat = [t.latency_ms for c in cells for t in c.turns if t.latency_ms is not None]
            out[key] = {
                "cells": len(cells),
                "passed": sum(1 for c in cells if c.passed),
                "checks_passed": sum(c.checks_passed for c in cells),
                "checks_failed": sum(c.checks_failed for c in cells),
                "tokens_in": sum(c.tokens_in for c in cells),
                "tokens_out": sum(c.tokens_out for c in cells),
                "cost_usd": None if any(x is None for x in costs) else round(sum(costs), 8),  # type: ignore[arg-type]
                "latency_p50_ms": percentile(lat, 50),
                "latency_p95_ms": percentile(lat, 95),
            }
    return out
