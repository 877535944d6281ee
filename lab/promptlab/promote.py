"""Promote the winning variant: it becomes its flow's default prompt file, then it is deployed.

The default file (`prompts/<flow>.default.md`) keeps its id and takes the winner's text, model and
temperature; the text it had is kept as `prompts/<flow>.previous.md` (id `<flow>.previous`), so a
promotion is one file to review in git and one command to undo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab import yamlio
from lab.conversation.session import LabSession
from lab.errors import ConfigError
from lab.prompts import find_prompt, load_prompts


def _file_text(
    prompt_id: str,
    description: str,
    model: str | None,
    temperature: float | None,
    variables: list[str],
    body: str,
) -> str:
    header: dict[str, Any] = {"id": prompt_id, "description": description}
    if model:
        header["model"] = model
    if temperature is not None:
        header["temperature"] = temperature
    header["variables"] = variables
    header["version"] = 1
    return "---\n" + yamlio.dumps(header) + "---\n" + body


def promote(prompts_dir: Path, variant_id: str) -> Path:
    """Make `variant_id` its flow's default prompt file; returns the default file's path."""

    prompts = load_prompts(prompts_dir)
    winner = find_prompt(prompts, variant_id)
    if winner.variant == "default":
        raise ConfigError(
            f"{winner.id} is already the default prompt of {winner.flow}",
            fix="promote another variant (e.g. whatsapp_agent.concise)",
        )
    default = next((p for p in prompts if p.flow == winner.flow and p.variant == "default"), None)
    target = default.path if default is not None else prompts_dir / f"{winner.flow}.default.md"
    if default is not None:
        yamlio.write_atomic(
            prompts_dir / f"{winner.flow}.previous.md",
            _file_text(
                f"{winner.flow}.previous",
                f"the default before {winner.id} was promoted: {default.description}".strip(),
                default.model,
                default.temperature,
                default.variables,
                default.text,
            ),
        )
    yamlio.write_atomic(
        target,
        _file_text(
            f"{winner.flow}.default",
            f"promoted from {winner.id}: {winner.description}".strip(),
            winner.model,
            winner.temperature,
            winner.variables,
            winner.text,
        ),
    )
    return target


async def promote_and_deploy(lab: LabSession, variant_id: str) -> Path:
    """Promote, then deploy the new default as the flow's active prompt on the lab's target."""
    path = promote(lab.settings.prompts_dir, variant_id)
    flow = variant_id.split(".", 1)[0]
    await lab.apply_prompt(f"{flow}.default")
    return path
