"""The pytest plugin, end to end with pytester: collection, pass, regression diff, update, unused, errors.

The scenarios here play on `fake_lab.FakeLab` (the player's lab factory seam); the bundled
scenarios under scenarios/ exercise the real Lab.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml  # noqa: F401 - imported once here: pytester's inline runs must not re-import it under the C parser

HERE = Path(__file__).parent

CONFTEST = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
import pytest
from fake_lab import FakeLab
from lab.scenarios.player import Player

@pytest.fixture(scope="session")
def walab_player(request):
    return Player(lab_factory=FakeLab.open, project_dir=request.config.rootpath).play_sync
"""

GREETING = """\
version: 1
flow: company.whatsapp/echo
steps:
  - user: Olá
    expect:
      contains: Você disse
  - user: menu
    expect:
      buttons: [Ver planos, Falar com atendente]
  - tap: Ver planos
    expect:
      text: Você escolheu Ver planos
      output: {task: reply, path: $.intent, equals: echo}
"""

DATA_DRIVEN = """\
version: 1
flow: company.whatsapp/echo
vars:
  - {plano: Básico}
  - {plano: Premium}
steps:
  - user: ["Quero o {{ plano }}", "Me fala do {{ plano }}"]
    expect:
      contains: "{{ plano }}"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(
        "[pytest]\naddopts = -p no:cacheprovider\nasyncio_default_fixture_loop_scope = function\n"
    )
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "greeting.yaml").write_text(GREETING, encoding="utf-8")
    return pytester


def test_collects_scenarios_and_expands_cases(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "plans.yaml").write_text(DATA_DRIVEN, encoding="utf-8")
    (project.path / "scenarios" / "greeting.cassette.yaml").write_text(
        "version: 1\n", encoding="utf-8"
    )
    result = project.runpytest("--collect-only", "-q", "scenarios")
    result.stdout.fnmatch_lines(
        ["scenarios/greeting.yaml::greeting", "scenarios/plans.yaml::plans*", "*5 tests collected*"]
    )
    assert "cassette" not in result.stdout.str()


def test_first_run_asks_for_snapshot_then_update_writes_it_then_passes(
    project: pytest.Pytester,
) -> None:
    first = project.runpytest("scenarios")
    first.stdout.fnmatch_lines(
        ["*scenario greeting (greeting.yaml) failed:*", "*no snapshot of this transcript yet*"]
    )
    assert first.ret == 1
    update = project.runpytest("scenarios", "--snapshot-update")
    assert update.ret == 0, update.stdout.str()
    snap = project.path / "scenarios" / "__snapshots__" / "greeting" / "greeting.yaml"
    text = snap.read_text(encoding="utf-8")
    assert "Você escolheu Ver planos" in text and "execution#1" in text and "wamid.OUT" not in text
    again = project.runpytest("scenarios")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*1 snapshot passed*"])


def test_regression_fails_naming_scenario_step_and_turn_with_a_diff(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project.runpytest("scenarios", "--snapshot-update").ret == 0
    monkeypatch.setenv(
        "FAKE_BOT_WORDING", "2"
    )  # the bot now says "Recebi: ..." instead of "Você disse: ..."
    result = project.runpytest("scenarios")
    assert result.ret == 1
    out = result.stdout.str()
    assert "scenario greeting (greeting.yaml) failed:" in out
    assert "step 1, turn 1 (line 4): reply text contains" in out
    assert "expected: Você disse" in out and "actual:   Recebi: Olá" in out
    assert "first difference in turn 1, step 1" in out
    assert '-    text: "Você disse: Olá"' in out and '+    text: "Recebi: Olá"' in out


def test_unused_snapshot_is_reported_and_removed_on_update(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "plans.yaml").write_text(DATA_DRIVEN, encoding="utf-8")
    assert project.runpytest("scenarios", "--snapshot-update").ret == 0
    (project.path / "scenarios" / "plans.yaml").unlink()
    result = project.runpytest("scenarios")
    result.stdout.fnmatch_lines(["*4 snapshots unused*"])
    assert result.ret != 0
    cleaned = project.runpytest("scenarios", "--snapshot-update")
    cleaned.stdout.fnmatch_lines(["*4 unused snapshots deleted*"])
    assert not list((project.path / "scenarios" / "__snapshots__").glob("plans/*.yaml"))


def test_malformed_scenario_gives_a_clear_error(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "broken.yaml").write_text(
        "version: 1\nflow: company.whatsapp/echo\nsteps:\n  - user: Oi\n  - tapp: Ver planos\n",
        encoding="utf-8",
    )
    result = project.runpytest("scenarios")
    out = result.stdout.str()
    assert "scenario file broken.yaml cannot be loaded:" in out
    assert "unknown step key 'tapp' (at steps.1.tapp)" in out
    assert "broken.yaml:5" in out
    assert "Traceback" not in out


def test_yaml_syntax_error_names_the_line(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "bad.yaml").write_text(
        "version: 1\nsteps:\n  - user: 'Oi\n", encoding="utf-8"
    )
    result = project.runpytest("scenarios")
    result.stdout.fnmatch_lines(["*bad.yaml is not valid YAML*", "*where: *bad.yaml:*"])


def test_tolerance_lets_tokens_drift(project: pytest.Pytester) -> None:
    path = project.path / "scenarios" / "greeting.yaml"
    assert project.runpytest("scenarios", "--snapshot-update").ret == 0
    snap = project.path / "scenarios" / "__snapshots__" / "greeting" / "greeting.yaml"
    snap.write_text(
        snap.read_text(encoding="utf-8").replace("tokens_in: 10\n", "tokens_in: 11\n", 1),
        encoding="utf-8",
    )
    assert project.runpytest("scenarios").ret == 1
    path.write_text(
        GREETING.replace("steps:", "tolerance: {tokens: 0.2, cost: 0.2}\nsteps:"), encoding="utf-8"
    )
    project.runpytest("scenarios").assert_outcomes(passed=1)


def test_policy_violation_fails_unless_expected(project: pytest.Pytester) -> None:
    path = project.path / "scenarios" / "window.yaml"
    path.write_text(
        "version: 1\nflow: company.whatsapp/echo\nsteps:\n  - user: Oi\n  - advance: 25h\n"
        "  - user: Voltei\n",
        encoding="utf-8",
    )
    result = project.runpytest("scenarios/window.yaml", "--snapshot-update")
    result.stdout.fnmatch_lines(
        [
            "*step 3, turn 2 (line 6): no WhatsApp policy violation*",
            "*131047 Re-engagement message*",
        ]
    )
    path.write_text(
        path.read_text(encoding="utf-8") + "    expect: {violation: 131047}\n", encoding="utf-8"
    )
    project.runpytest("scenarios/window.yaml").assert_outcomes(passed=1)


def test_plugin_import_is_cheap() -> None:
    import subprocess
    import sys

    code = (
        "import sys, lab.scenarios.pytest_plugin as p; heavy = [m for m in ('textual', 'openai', 'httpx', "
        "'yaml', 'syrupy', 'lab.scenarios.player') if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_broken_scenario_does_not_delete_other_snapshots_on_update(
    project: pytest.Pytester,
) -> None:
    assert project.runpytest("scenarios", "--snapshot-update").ret == 0
    snap = project.path / "scenarios" / "__snapshots__" / "greeting" / "greeting.yaml"
    (project.path / "scenarios" / "zz_broken.yaml").write_text(
        "version: 1\nflow: a/b\nsteps: [{tapp: x}]\n", encoding="utf-8"
    )
    result = project.runpytest("scenarios", "--snapshot-update")
    assert result.ret != 0
    assert snap.exists()


def test_options_are_offered(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--walab-target=URL*", "*--walab-llm=*", "*--snapshot-update*"])


def test_walab_llm_option_reaches_the_player(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\naddopts = -p no:cacheprovider\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makeconftest(f"""
import sys
sys.path.insert(0, {str(HERE)!r})
import pytest
from fake_lab import FakeLab
from lab.scenarios.player import Player

@pytest.fixture(scope="session")
def walab_player(request):
    player = Player(lab_factory=FakeLab.open, project_dir=request.config.rootpath,
                    llm_mode=request.config.option.walab_llm)
    return player.play_sync
""")
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "g.yaml").write_text(GREETING, encoding="utf-8")
    pytester.runpytest("scenarios", "--snapshot-update", "--walab-llm", "live")
    snap = (pytester.path / "scenarios" / "__snapshots__" / "g" / "g.yaml").read_text(
        encoding="utf-8"
    )
    assert "llm: live" in snap


def test_the_collector_is_tuned_only_during_a_scenario_play_and_restored(
    project: pytest.Pytester,
) -> None:
    import gc

    from lab.scenarios.pytest_plugin import PLAY_GC_THRESHOLD

    before = gc.get_threshold()
    project.makepyfile(
        test_gc_state=f"""
import gc

def test_gc_is_tuned_for_the_play():
    assert gc.get_threshold() == {PLAY_GC_THRESHOLD!r}
    assert gc.get_freeze_count() > 0
"""
    )
    project.runpytest_inprocess(
        "scenarios", "test_gc_state.py", "--snapshot-update"
    ).assert_outcomes(passed=2)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    project.makepyfile(
        test_plain=f"""
import gc

def test_a_session_without_scenarios_keeps_the_defaults():
    assert gc.get_threshold() == {before!r}
"""
    )
    project.runpytest_inprocess("test_plain.py").assert_outcomes(passed=1)
