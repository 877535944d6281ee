"""`walab load` refuses what cannot work under load before anything starts, and says what to do."""

from __future__ import annotations

from pathlib import Path

from lab.cli import main
from lab.load.plan import conversation_scripts, scenario_files

PROJECT = Path(__file__).resolve().parents[2]


def test_scenarios_become_scripts_and_skipped_steps_are_named():
    scripts, warnings = conversation_scripts(
        [
            PROJECT / "scenarios/whatsapp_agent/rate_limit.yaml",
            PROJECT / "scenarios/lead_qualification/qualify.yaml",
        ]
    )
    assert [s.name for s in scripts] == ["rate_limit", "qualify"]
    assert [st.kind for st in scripts[1].steps] == ["text", "text", "text"]
    assert "[template hello_world]" in scripts[1].steps[0].check.contains
    assert scripts[1].steps[2].check.contains == ["Solar Casa"]
    assert (
        len(warnings) == 1
        and "rate_limit.yaml:10: step 1 (fault) is not played under load" in warnings[0]
    )


def test_a_folder_leaves_out_a_scenario_no_load_user_can_play_and_says_so():
    """The README's `--scenario scenarios/whatsapp_agent/` failed on expired_window.yaml (its only
    step is a late delivery)."""
    folder = PROJECT / "scenarios/whatsapp_agent"
    scripts, warnings = conversation_scripts(scenario_files([str(folder)]))
    names = [s.name for s in scripts]
    assert "greeting_plans" in names and "expired_window" not in names
    assert f"{folder / 'expired_window.yaml'}: no step a load user can play" in "\n".join(warnings)


def test_a_scenario_alone_that_no_load_user_can_play_is_refused(capsys):
    only = PROJECT / "scenarios/whatsapp_agent/expired_window.yaml"
    assert main(["load", "--scenario", str(only)]) == 2
    assert "has no step a load user can play" in capsys.readouterr().err


def test_ordered_scripted_replies_cannot_be_shared(tmp_path, capsys):
    scenario = tmp_path / "ordered.yaml"
    scenario.write_text(
        "version: 1\nflow: company.whatsapp/whatsapp_agent\nllm:\n  scripted: [Olá, Tchau]\n"
        "steps:\n  - user: Oi\n",
        encoding="utf-8",
    )
    assert main(["load", "--scenario", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert "cannot be shared by concurrent users" in err and "{match: REGEX, reply: ...}" in err


def test_live_model_needs_a_cost_cap_and_personas_are_not_there_yet(capsys):
    assert (
        main(
            [
                "load",
                "--llm",
                "live",
                "--scenario",
                str(PROJECT / "scenarios/whatsapp_agent/rate_limit.yaml"),
            ]
        )
        == 2
    )
    assert "needs a cost cap" in capsys.readouterr().err
    assert main(["load", "--persona", "impatient"]) == 2
    assert "personas are not available" in capsys.readouterr().err


def test_the_lab_process_never_imports_gevent():
    """gevent patches the standard library; it must stay in the Locust process, out of the lab's asyncio."""
    import subprocess
    import sys

    code = (
        "import sys, lab.load.cli, lab.load.run, lab.load.report\n"
        "sys.exit(1 if {'gevent', 'locust'} & set(sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
