"""Fault plan files: shares by where the fault happens, errors that name the key and the fix."""

from __future__ import annotations

import pytest

from lab.errors import ConfigError
from lab.load.faults import load_fault_plan, parse_fault_plan


def test_a_fault_plan_file(tmp_path):
    path = tmp_path / "faults.yaml"
    path.write_text(
        "version: 1\nseed: 7\nmeta: {duplicate: 0.1, out_of_order: 0.05, status_delay: 2s}\n"
        "graph: {rate_limit: 0.05, server_error: 0.02, timeout: {share: 0.01, seconds: 20}}\n"
        "model: {rate_limit: 0.05, server_error: 0.02, slow: 0.1}\n",
        encoding="utf-8",
    )
    plan = load_fault_plan(path)
    assert plan.meta == {"duplicate": 0.1, "out_of_order": 0.05} and plan.status_delay == 2.0
    assert plan.graph_timeout.share == 0.01 and plan.graph_timeout.seconds == 20.0
    assert plan.model_slow.share == 0.1 and plan.model_slow.seconds == 2.0  # the default hold
    assert plan.touches_graph and plan.touches_model
    assert plan.describe()["graph"]["rate_limit"] == 0.05


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"graph": {"rate_limit": 2}}, "from 0 to 1"),
        ({"graph": {"ratelimit": 0.1}}, "unknown fault graph.ratelimit"),
        ({"llm": {}}, "unknown fault plan key 'llm'"),
        ({"meta": {"status_delay": "soon"}}, "not a duration"),
        ({"version": 2}, "version: 1"),
    ],
)
def test_fault_plan_errors_name_the_key(data, message):
    with pytest.raises(ConfigError) as err:
        parse_fault_plan(data, "faults.yaml")
    assert message in err.value.render()
