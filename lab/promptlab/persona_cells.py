"""Personas as rows of the matrix: a persona's k simulated conversations with one variant and model.

The cell keeps what a prompt engineer compares for a simulated customer: whether the runs passed
(pass^k: all of them, pass@k: any), the rubric's scores with the judge's reasons per run, tokens,
cost (all runs: the agent's, the simulated user's and the judge's calls) and the first run's
conversation move by move, which the side-by-side view lines up against the baseline's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lab.promptlab.cells import Cell, TurnResult, percentile
from lab.scenarios.player import project_dir_of
from lab.simulate.batch import Job, play
from lab.simulate.persona import load_persona
from lab.simulate.stats import pass_at_k, pass_hat_k

# The LLM mode a persona plays in for each compare mode: auto (and update, which re-records
# scenarios only) plays the persona's own source, its cassette replayed or its scripted replies.
PERSONA_MODES = {"auto": None, "update": None}

PERSONA_ROW = "persona "


def persona_row(path: Path) -> str:
    """A persona's row name in the matrix (`persona dona_cida`)."""
    return PERSONA_ROW + load_persona(path).name


def is_persona_file(path: Path) -> bool:
    """A persona file: YAML under a `personas/` folder, not a cassette."""
    resolved = path.resolve()
    return (
        "personas" in resolved.parts
        and resolved.suffix in (".yaml", ".yml")
        and not resolved.name.endswith(".cassette.yaml")
    )


def play_persona_cell(
    path: Path,
    variant: str,
    model: str,
    mode: str,
    *,
    baseline: str,
    runs: int | None = None,
) -> Cell:
    """Play the persona `runs` times (default: its own `runs`) with this variant and model."""
    persona = load_persona(path)
    k = runs or persona.runs
    project = project_dir_of(path)
    results = [
        play(
            Job(
                path,
                run,
                project,
                PERSONA_MODES.get(mode, mode),
                prompt=variant or None,
                model=model or None,
                baseline=baseline or None,
            )
        )
        for run in range(1, k + 1)
    ]
    cell = cell_of_conversations(persona_row(path), variant, model, results)
    if any("HTTP 404" in (r["error"] or "") for r in results):
        variants = ",".join(dict.fromkeys(v for v in (baseline, variant) if v))
        cell.cassette_miss = True
        cell.hint = (
            f"persona {persona.name}: the cassette has no recording of these conversations; record "
            f"them with `walab simulate {persona.name} --runs {k}"
            + (f" --variants {variants}" if variants else "")
            + (f" --models {model}" if model else "")
            + " --llm record` (OPENAI_API_KEY set)"
        )
    return cell


def cell_of_conversations(
    row: str, variant: str, model: str, results: list[dict[str, Any]]
) -> Cell:
    """A cell from a persona's conversations (`Conversation.to_dict` with the batch's fields)."""
    first = results[0]
    turns = [
        TurnResult(
            user=_move_text(move["user"]),
            replies=list(move["agent"]),
            tokens_in=move.get("tokens_in", 0),
            tokens_out=move.get("tokens_out", 0),
            cost_usd=move.get("cost_usd", 0.0),
            latency_ms=move.get("latency_ms"),
            state=move.get("state", "SUCCESS"),
        )
        for move in first["conversation"]
    ]
    latencies = [t.latency_ms for t in turns if t.latency_ms is not None]
    passed = sum(1 for r in results if r["passed"])
    failures = [
        f"run {r['run']} ({r['outcome']}): {line}"
        for r in results
        for line in r["failures"] + ([r["error"]] if r["error"] else [])
    ]
    failures += [
        f"run {r['run']} ({r['outcome']}): rubric {r['rubric']['total']:.2f} < "
        f"{r['rubric']['threshold']}"
        for r in results
        if r["rubric"] and not r["rubric"]["passed"]
    ]
    k = len(results)
    return Cell(
        scenario=row,
        variant=variant,
        model=model,
        passed=passed == k,
        checks_passed=passed,
        checks_failed=k - passed,
        failures=failures,
        tokens_in=sum(r.get("tokens_in", 0) for r in results),
        tokens_out=sum(r.get("tokens_out", 0) for r in results),
        cost_usd=round(sum(r["cost_usd"] for r in results), 8),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        turns=turns,
        runs=k,
        passed_runs=passed,
        error=next((r["error"] for r in results if r["error"]), None),
        kind="persona",
        outcomes=[r["outcome"] for r in results],
        rubrics=[r["rubric"] for r in results if r["rubric"]],
        pass_hat_k=pass_hat_k(k, passed, k),
        pass_at_k=pass_at_k(k, passed, k),
    )


def _move_text(step: dict[str, Any]) -> str:
    """A move as the matrix shows the user's side (`Oi`, `[tap] Ver planos`, `[burst] a | b`)."""
    ((key, value),) = step.items()
    if key == "say":
        return str(value)
    if key == "burst":
        return "[burst] " + " | ".join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        return f"[{key}] " + json.dumps(value, ensure_ascii=False)
    return f"[{key}] {value}"
