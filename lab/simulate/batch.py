"""Simulated conversations in a fresh lab each: one persona × k runs, several personas in parallel.

A persona's agent LLM source is its `llm:` (as a scenario's), else its cassette beside it
(`personas/<name>.cassette.yaml`: replayed), else scripted. `--llm record` writes that cassette:
the agent's, the simulated user's and the judge's calls together, so the whole conversation replays
with no key. Workers are processes (`-n`): each opens its own lab.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lab import asyncrun
from lab.config import Contact, load_settings
from lab.conversation.lab import Lab
from lab.errors import ConfigError
from lab.llm.scripted import ScriptedReplies
from lab.prompts import variant_cassette_path
from lab.scenarios.player import DEFAULT_CLOCK
from lab.simulate.persona import Persona, load_persona
from lab.simulate.runner import Conversation, simulate
from lab.simulate.save import save_scenario


def cassette_of(persona: Persona) -> Path:
    """The persona's own cassette: `<name>.cassette.yaml` beside its file."""
    return persona.path.with_name(f"{persona.path.stem}.cassette.yaml")


def llm_mode_of(persona: Persona, override: str | None) -> str:
    if override:
        return override
    if persona.llm.get("cassette") or cassette_of(persona).exists():
        return "replay"
    if persona.llm.get("source") == "live":
        return "live"
    return "scripted"


@dataclass
class Job:
    """One conversation to play (picklable: it crosses to a worker process)."""

    persona_path: Path
    run: int
    project_dir: Path
    llm_mode: str | None = None
    flow: str | None = None  # overrides the persona's
    save: str | None = None  # write this conversation as a scenario of that name
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    prompt: str | None = None  # play with this prompt variant (as `walab compare` does)
    model: str | None = None  # ... and this model (the flow's LLM_MODEL)
    baseline: str | None = None  # the variant the persona's own cassette was recorded with


def play(job: Job) -> dict[str, Any]:
    """Play one job in this process; the conversation as a summary dict (see `Conversation.to_dict`)."""
    return asyncrun.run(play_async(job))


async def play_async(job: Job, lab_factory: Any = None) -> dict[str, Any]:
    persona = load_persona(job.persona_path)
    conv, saved = await _play(job, persona, lab_factory)
    data = conv.to_dict()
    data["variant"] = job.prompt or ""
    data["model"] = job.model or ""
    data["saved"] = str(saved) if saved else None
    return data


async def _play(job: Job, persona: Persona, lab_factory: Any) -> tuple[Conversation, Path | None]:
    if lab_factory is None:
        lab_factory = Lab.open
    flow = job.flow or persona.flow
    if not flow:
        raise ConfigError(
            f"persona {persona.name!r} names no flow",
            where=str(persona.path),
            fix="add `flow: namespace/id` to the persona, or pass --flow",
        )
    namespace, _, flow_id = flow.rpartition("/")
    mode = llm_mode_of(persona, job.llm_mode)
    settings = load_settings(
        job.project_dir, llm_mode=mode, namespace=namespace, flow=flow_id, **job.settings_overrides
    )
    settings.contacts = [Contact(persona.contact["wa_id"], persona.contact["name"])]
    options: dict[str, Any] = {"clock_start": datetime.fromisoformat(DEFAULT_CLOCK)}
    cassette = None
    if mode in ("replay", "record"):
        given = persona.llm.get("cassette")
        cassette = persona.path.parent / given if given else cassette_of(persona)
        if job.prompt and job.prompt != (job.baseline or job.prompt):
            cassette = variant_cassette_path(cassette, job.prompt)
        options["cassette"] = cassette
    elif mode == "scripted":
        items = persona.llm.get("scripted") or []
        options["scripted"] = ScriptedReplies(
            items if isinstance(items, list) else [items], source=str(persona.path)
        )
    async with lab_factory(settings, **options) as lab:
        if job.prompt:
            await lab.apply_prompt(job.prompt)
        if job.model:
            await lab.client.kv.put(namespace, "LLM_MODEL", job.model)
        conv = await simulate(lab, persona, persona.contact["wa_id"], run=job.run)
        saved = None
        if job.save:
            saved = save_scenario(lab, persona, conv, job.save, mode=mode, cassette=cassette)
    return conv, saved


def play_all(jobs: list[Job], workers: int = 1, on_done: Any = None) -> list[dict[str, Any]]:
    """Play every job, `workers` at a time (processes when more than one); results in job order."""
    results: list[dict[str, Any] | None] = [None] * len(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            results[i] = play(job)
            if on_done:
                on_done(results[i])
        return [r for r in results if r is not None]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(play, job): i for i, job in enumerate(jobs)}

        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if on_done:
                on_done(results[futures[future]])
    return [r for r in results if r is not None]
