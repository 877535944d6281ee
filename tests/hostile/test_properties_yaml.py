"""Property: every YAML loader of the lab refuses bombs, deep nesting, huge numbers and
self-referencing aliases with a located ConfigError, and never raises anything else."""

from __future__ import annotations

import pytest
from hypothesis import given

from lab import yamlio
from lab.errors import ConfigError
from lab.kestra.engine.validation import validate

from .strategies import BOUNDED, hostile_yaml
from .test_yaml_limits import LOADERS


@BOUNDED
@given(hostile_yaml())
def test_the_yaml_reader_refuses_every_hostile_document(case):
    kind, text = case
    with pytest.raises(ConfigError) as caught:
        yamlio.loads(text, source="x.yaml")
    assert caught.value.where.startswith("x.yaml") and caught.value.fix


@pytest.mark.parametrize("loader", sorted(LOADERS))
@BOUNDED
@given(case=hostile_yaml())
def test_each_file_loader_refuses_every_hostile_document(tmp_path_factory, loader, case):
    _kind, text = case
    folder = tmp_path_factory.mktemp(loader)
    with pytest.raises(ConfigError) as caught:
        LOADERS[loader](folder, text)
    assert str(folder) in (caught.value.where or "") and caught.value.fix


@BOUNDED
@given(hostile_yaml())
def test_flow_validation_reports_every_hostile_document_as_a_problem(case):
    _kind, text = case
    flow = "id: f\nnamespace: company.team\ntasks: []\nvariables:\n  " + text.replace("\n", "\n  ")
    problems = validate(flow, path="f.yml")
    assert problems and problems[0].kind == "yaml" and problems[0].line
