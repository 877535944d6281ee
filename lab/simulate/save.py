"""`--save NAME`: a simulated conversation becomes a fixed scenario with its cassette.

The steps are the acts the simulated user performed (`Action.to_step`), each turn's expectations
the replies observed (as `walab record` writes them), the LLM source the one the conversation ran
on: its cassette copied beside the scenario (replay needs no key), or the persona's scripted replies.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from lab import yamlio
from lab.conversation.session import LabSession
from lab.scenarios.player import DEFAULT_CLOCK
from lab.scenarios.recorder import check_name, observed
from lab.simulate.persona import Persona
from lab.simulate.runner import Conversation


def scenario_document(
    lab: LabSession,
    persona: Persona,
    conv: Conversation,
    name: str,
    llm: dict[str, Any],
    project_dir: Path | None = None,
) -> dict[str, Any]:
    settings = lab.settings
    steps: list[dict[str, Any]] = []
    for move, turns in conv.moves:
        pending = list(turns)
        for action in move.actions:
            step = action.to_step(project_dir)
            if action.turn and pending:
                step["expect"] = observed(pending.pop(0))
            steps.append(step)
    return {
        "version": 1,
        "name": name,
        "description": f"Saved from the simulated conversation of persona {persona.name} ({conv.outcome}).",
        "flow": f"{settings.namespace}/{settings.flow}",
        "contacts": [{"name": persona.contact["name"], "wa_id": persona.contact["wa_id"]}],
        "clock": DEFAULT_CLOCK,
        "llm": llm,
        "steps": steps,
    }


def save_scenario(
    lab: LabSession,
    persona: Persona,
    conv: Conversation,
    name: str,
    *,
    mode: str,
    cassette: Path | None,
) -> Path:
    """Write `scenarios/<flow>/<name>.yaml` (and its cassette); returns the scenario's path."""
    check_name(name)
    settings = lab.settings
    folder = Path(settings.scenarios_dir) / str(settings.flow)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    if mode in ("replay", "record") and cassette is not None and cassette.exists():
        target = folder / f"{name}.cassette.yaml"
        shutil.copyfile(cassette, target)
        llm: dict[str, Any] = {"source": "cassette", "cassette": target.name}
    else:
        scripted = persona.llm.get("scripted")
        llm = {"source": "scripted", "scripted": scripted} if scripted else {"source": "none"}
    doc = scenario_document(lab, persona, conv, name, llm, Path(settings.project_dir))
    header = (
        f"# Saved by `walab simulate --save` from persona {persona.name}: edit the expectations.\n"
    )
    yamlio.write_atomic(path, header + yamlio.dumps(doc))
    return path
