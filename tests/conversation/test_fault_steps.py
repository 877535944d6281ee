"""Every fault kind of a load run's fault plan is a scenario `fault:` step, read and written through
the one vocabulary (`lab.conversation.actions`), armed on the sandbox's or the gateway's script."""

from __future__ import annotations

import time

import pytest

from lab.conversation.actions import ArmFault, from_step
from lab.errors import ConfigError

from .conftest import MARIA


@pytest.mark.parametrize(
    "step",
    [
        {"rate_limit": 1},
        {"server_error": 1, "http_status": 503},
        {"hold": 2, "seconds": 0.5},
        {"duplicate_next": 1},
        {"delay_statuses": 2},
        {"model_rate_limit": 1},
        {"model_server_error": 3},
        {"model_slow": 1, "seconds": 3.0},
    ],
)
def test_a_fault_step_reads_and_writes_back_the_same(step):
    action = from_step("fault", step)
    assert isinstance(action, ArmFault) and action.to_step() == {"fault": step}


@pytest.mark.parametrize(
    "step",
    [{"model_slow": 1, "code": 500}, {"hold": 1, "http_status": 500}, {"model_timeout": 1}],
)
def test_a_wrong_fault_step_says_what_is_expected(step):
    with pytest.raises(ConfigError) as info:
        from_step("fault", step)
    assert "model_slow" in str(info.value)  # the shape lists every fault kind


async def test_graph_hold_and_model_faults_reach_their_scripts(open_lab):
    async with open_lab(flow="whatsapp_agent", scripted=[{"json": {"text": "Oi!"}}]) as lab:
        await lab.perform(MARIA, from_step("fault", {"model_rate_limit": 1}))
        await lab.perform(MARIA, from_step("fault", {"hold": 1, "seconds": 0.3}))
        t0 = time.perf_counter()
        turn = await lab.send_text(MARIA, "Oi")
        assert time.perf_counter() - t0 >= 0.3  # the first send (the read mark) was held
        texts = [s.payload["text"]["body"] for s in turn.replies if s.type == "text"]
        assert turn.state == "SUCCESS" and texts == ["Oi!"]
        assert [c.status for c in turn.llm_calls] == [429, 200]  # the flow's retry
