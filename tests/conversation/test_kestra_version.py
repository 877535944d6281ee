"""The `kestra_version` setting: which Kestra the embedded engine acts as, from walab.yaml, the
environment, the command line or a scenario's pin, down to the engine, the client and the header."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.config import load_settings
from lab.errors import ConfigError

from .conftest import CLOCK, MARIA, ROOT, settings

QUALIFY = ROOT / "scenarios" / "lead_qualification" / "qualify.yaml"


def test_walab_yaml_then_environment_then_option(tmp_path: Path):
    (tmp_path / "walab.yaml").write_text("kestra_version: 2.0\n")
    assert load_settings(tmp_path, env={}).kestra_version == "2.0"
    assert load_settings(tmp_path, env={"WALAB_KESTRA_VERSION": "1.3.25"}).kestra_version == "1.3"
    assert (
        load_settings(
            tmp_path, env={"WALAB_KESTRA_VERSION": "1.3"}, kestra_version="2.0.3"
        ).kestra_version
        == "2.0"
    )
    assert load_settings(ROOT, env={}).kestra_version == "1.3"  # the LTS line by default


def test_a_version_the_engine_does_not_speak_says_which_it_does(tmp_path: Path):
    (tmp_path / "walab.yaml").write_text("kestra_version: 0.24\n")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path, env={})
    assert (
        "0.24" in str(err.value)
        and "1.3, 2.0" in err.value.render()
        and "walab.yaml" in err.value.render()
    )


@pytest.mark.parametrize("command", ["chat", "serve", "send", "record", "replay", "compare"])
def test_every_command_that_runs_flows_takes_the_option(command):
    import argparse
    import importlib

    from lab.cli import COMMANDS

    parser = argparse.ArgumentParser()
    importlib.import_module(COMMANDS[command][0]).configure(parser)
    assert any("--kestra-version" in action.option_strings for action in parser._actions)


async def test_the_embedded_engine_speaks_the_version_and_the_turn_has_outputs():
    from lab.conversation.lab import Lab

    async with Lab.open(
        settings(kestra_version="2.0", llm_mode="scripted"), clock_start=CLOCK
    ) as lab:
        assert lab.engine.version == "2.0" and lab.client.dialect == "2.0"
        assert lab.describe_target() == "embedded (Kestra 2.0 API)"
        turn = await lab.send_text(MARIA, "Quero um orçamento, minha conta vem R$ 450")
    assert turn.verdict == "ok", turn.error
    intent = next(t for t in turn.executions[0].task_runs if t.task_id == "intent")
    assert intent.outputs and intent.outputs.get("value") == "valor"


def test_a_scenario_pins_its_kestra_version(tmp_path: Path):
    from lab.scenarios.loader import expand, load_scenario
    from lab.scenarios.player import Player

    pinned = tmp_path / "scenarios" / "qualify_2_0.yaml"
    pinned.parent.mkdir()
    pinned.write_text(
        QUALIFY.read_text().replace("version: 1\n", "version: 1\nkestra_version: 2.0\n", 1)
    )
    case = expand(load_scenario(pinned))[0]
    assert case.scenario.kestra_version == "2.0"
    player = Player(project_dir=ROOT, settings_overrides={"kestra_version": "1.3"})
    assert player._settings(case, "scripted").kestra_version == "2.0"  # the pin wins
    playback = player.play_sync(case)
    assert (
        playback.error is None and not playback.failures
    ), playback.failures  # incl. `output: {task: intent}`


def test_a_scenario_pin_is_checked(tmp_path: Path):
    from lab.scenarios.loader import load_scenario

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        QUALIFY.read_text().replace("version: 1\n", "version: 1\nkestra_version: latest\n", 1)
    )
    with pytest.raises(ConfigError) as err:
        load_scenario(bad)
    assert "kestra_version" in str(err.value) and "bad.yaml:2" in err.value.render()


def test_the_header_keeps_the_version_when_narrow():
    from lab.tui.widgets.lab_header import LabHeader

    header = LabHeader()
    header.target = "embedded (Kestra 2.0 API)"
    assert "embedded 2.0" in header._facts(compact=True).plain
    assert "Kestra 2.0 API" in header._facts(compact=False).plain


def test_walab_test_takes_the_version_for_every_scenario(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--walab-kestra-version*VERSION*"])


def test_an_unknown_walab_yaml_key_gets_a_did_you_mean(tmp_path: Path):
    (tmp_path / "walab.yaml").write_text("kestra_ulr: http://localhost:8080\n")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path, env={})
    assert (
        "unknown setting 'kestra_ulr'" in str(err.value)
        and "did you mean 'kestra_url'?" in err.value.render()
    )
