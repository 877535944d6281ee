"""`/advance` fires the Schedule triggers the virtual clock passes (issue 15): the executions run
to their end before the act returns, and what they send is captured like any reply."""

from __future__ import annotations

import textwrap
from datetime import timedelta

from lab.conversation.actions import Advance

FLOW = textwrap.dedent("""\
    id: nightly_ping
    namespace: company.whatsapp
    tasks:
      - id: ping
        type: io.kestra.plugin.core.debug.Return
        format: "{{ trigger.date }}"
    triggers:
      - id: at_three
        type: io.kestra.plugin.core.trigger.Schedule
        cron: "0 3 * * *"
        timezone: America/Sao_Paulo
""")


async def test_advance_runs_the_schedules_it_passes(open_lab) -> None:
    async with open_lab() as lab:
        lab.engine.deploy(FLOW)
        assert await lab.perform("5511987654321", Advance(timedelta(hours=50), "50h")) is None
        runs = [x for x in lab.engine.executions() if x.flow_id == "nightly_ping"]
        assert [x.state.current for x in runs] == ["SUCCESS", "SUCCESS"]  # two nights passed
        dates = sorted(x.task_runs[0].outputs["value"] for x in runs)
        assert all(d.endswith("T03:00:00-03:00") for d in dates), dates


async def test_flows_parsed_by_an_earlier_session_still_fire_their_schedules(open_lab) -> None:
    for _ in range(2):  # the second session installs the flows the first one parsed
        async with open_lab() as lab:
            await lab.perform("5511987654321", Advance(timedelta(hours=2), "2h"))
            runs = [x for x in lab.engine.executions() if x.flow_id == "lead_followup"]
            assert [x.state.current for x in runs] == ["SUCCESS", "SUCCESS"]
