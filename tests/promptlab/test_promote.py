"""Promoting a variant makes it the flow's default prompt (the old default kept) and deploys it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from lab.errors import ConfigError
from lab.promptlab.promote import promote, promote_and_deploy
from lab.prompts import find_prompt, load_prompts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    d = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", d)
    return d


def test_promote_rewrites_default_and_keeps_previous(prompts: Path) -> None:
    before = load_prompts(prompts)
    concise = find_prompt(before, "whatsapp_agent.concise")
    old_default = find_prompt(before, "whatsapp_agent.default")
    path = promote(prompts, "whatsapp_agent.concise")
    after = load_prompts(prompts)
    new_default = find_prompt(after, "whatsapp_agent.default")
    assert path == old_default.path
    assert new_default.text == concise.text and new_default.hash == concise.hash
    assert new_default.model == concise.model and new_default.temperature == concise.temperature
    assert find_prompt(after, "whatsapp_agent.previous").text == old_default.text
    with pytest.raises(ConfigError, match="already the default"):
        promote(prompts, "whatsapp_agent.default")


def test_promote_and_deploy_applies_the_new_default(prompts: Path, tmp_path: Path) -> None:
    from lab.config import load_settings
    from lab.conversation.lab import Lab

    for name in ("flows",):
        (tmp_path / name).symlink_to(ROOT / name)
    concise_text = find_prompt(load_prompts(prompts), "whatsapp_agent.concise").text

    async def run() -> bytes:
        settings = load_settings(tmp_path, flow="whatsapp_agent", llm_mode="scripted")
        async with Lab.open(settings) as lab:
            await promote_and_deploy(lab, "whatsapp_agent.concise")
            return await lab.client.files.read(settings.namespace, "/prompts/whatsapp_agent.md")

    deployed = asyncio.run(run())
    assert deployed.decode("utf-8") == concise_text
