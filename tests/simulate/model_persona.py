"""The model-played persona the simulate tests record against the stub model and replay."""

from __future__ import annotations

from pathlib import Path

from lab import yamlio


def write_model_persona(folder: Path, *, max_turns: int) -> Path:
    """personas/model_cida.yaml under `folder`: Aparecida, played and judged by gpt-4o-mini."""
    path = folder / "personas" / "model_cida.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        yamlio.dumps(
            {
                "version": 1,
                "name": "model_cida",
                "flow": "company.whatsapp/whatsapp_agent",
                "contact": {"name": "Aparecida Santos", "wa_id": "5519912345678"},
                "who": "aposentada em Campinas",
                "goal": "agendar a visita técnica",
                "model": "gpt-4o-mini",
                "max_turns": max_turns,
                "judge": {"model": "gpt-4o-mini"},
            }
        ),
        encoding="utf-8",
    )
    return path
