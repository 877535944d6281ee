"""Task fixtures in scenarios (whole scenario and per step) and `walab send --fixtures FILE`."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from lab.errors import ConfigError, LabError
from lab.kestra.engine.fixtures import Fixtures, load_fixtures
from lab.scenarios.loader import load_scenario
from lab.scenarios.player import use_fixtures

SCENARIO = """version: 1
flow: company.whatsapp/lead_qualification
fixtures:
  tasks:
    - id: save_lead
      outputs: {rowCount: 1}
steps:
  - user: Oi
  - user: Quero o plano
    fixtures:
      tasks:
        - id: save_lead
          state: FAILED
"""


def test_a_scenario_and_a_step_carry_their_fixtures(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    scenario = load_scenario(path)
    assert scenario.fixtures.for_task("save_lead").outputs == {"rowCount": 1}
    first, second = scenario.steps
    assert first.fixtures is None and second.fixtures.for_task("save_lead").state == "FAILED"
    engine = SimpleNamespace(fixtures=None)
    lab = SimpleNamespace(engine=engine)
    use_fixtures(lab, second.fixtures or scenario.fixtures)
    assert engine.fixtures is second.fixtures


def test_a_malformed_fixture_names_the_scenario_line(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("state: FAILED", "state: DONE"))
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert "is not a Kestra state" in info.value.what and ":11" in (info.value.where or "")


def test_fixtures_need_the_embedded_engine():
    with pytest.raises(LabError, match="embedded engine"):
        use_fixtures(SimpleNamespace(engine=None), Fixtures(inputs={"a": 1}))
    use_fixtures(SimpleNamespace(engine=None), None)  # nothing asked: nothing to refuse


def test_a_fixtures_file_may_be_a_list_or_any_yaml_with_fixtures(tmp_path: Path):
    (tmp_path / "list.yaml").write_text("- id: a\n  outputs: {x: 1}\n")
    (tmp_path / "case.yaml").write_text("fixtures:\n  inputs: {name: Ana}\n  tasks: [{id: b}]\n")
    (tmp_path / "bad.yaml").write_text("tasks: [{outputs: {}}]\n")
    assert load_fixtures(tmp_path / "list.yaml").for_task("a").outputs == {"x": 1}
    both = load_fixtures(tmp_path / "case.yaml")
    assert both.inputs == {"name": "Ana"} and both.for_task("b") is not None
    with pytest.raises(ConfigError, match="needs an `id`"):
        load_fixtures(tmp_path / "bad.yaml")
