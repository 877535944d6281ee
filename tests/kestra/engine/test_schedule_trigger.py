"""Kestra's Schedule trigger on the engine's clock: moving the clock fires every cron date it
passes, in the trigger's time zone, with trigger.date / next / previous (issue 15)."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone

import pytest

from lab.clock import VirtualClock
from lab.errors import ConfigError
from lab.kestra.engine.engine import Engine
from lab.kestra.engine.schedule import parse_cron

MONDAY_9_SAO_PAULO = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)

FLOW = textwrap.dedent("""\
    id: morning
    namespace: company.team
    inputs:
      - id: day
        type: STRING
        defaults: none
    tasks:
      - id: said
        type: io.kestra.plugin.core.debug.Return
        format: "{{ trigger.date }} {{ trigger.previous }} {{ trigger.next }} {{ inputs.day }}"
    triggers:
      - id: weekdays_at_nine
        type: io.kestra.plugin.core.trigger.Schedule
        cron: "0 9 * * MON-FRI"
        timezone: America/Sao_Paulo
        inputs:
          day: "{{ trigger.date | date('EEEE') }}"
""")


async def test_moving_the_clock_fires_each_date_it_passes_in_the_trigger_zone() -> None:
    clock = VirtualClock(MONDAY_9_SAO_PAULO)
    engine = Engine(clock=clock)
    engine.deploy(FLOW)
    assert await engine.fire_schedules() == []  # a new trigger counts from now (Monday 09:00)
    clock.advance(timedelta(days=4, hours=1))  # to Friday 10:00 in São Paulo
    started = await engine.fire_schedules()
    assert len(started) == 4
    outputs = []
    for execution in started:
        done = await engine.wait(execution.id, timeout=30)
        assert done.state.current == "SUCCESS"
        outputs.append(done.task_runs[0].outputs["value"])
    assert outputs[0] == (
        "2026-03-03T09:00:00-03:00 2026-03-02T09:00:00-03:00 2026-03-04T09:00:00-03:00 Tuesday"
    )
    assert [o.split()[0] for o in outputs[1:]] == [
        "2026-03-04T09:00:00-03:00",
        "2026-03-05T09:00:00-03:00",
        "2026-03-06T09:00:00-03:00",
    ]
    clock.advance(timedelta(hours=1))
    assert await engine.fire_schedules() == []  # nothing more is due before Monday


def test_cron_nicknames_fields_and_errors() -> None:
    assert parse_cron("@hourly") == parse_cron("0 * * * *")
    assert parse_cron("*/15 * * * *").minutes == frozenset({0, 15, 30, 45})
    assert parse_cron("0 0 * * 7").weekdays == frozenset({0})  # 7 is Sunday too
    assert parse_cron("30 0 9 * * *", with_seconds=True).seconds == frozenset({30})
    with pytest.raises(ConfigError, match="has 4 fields, a Schedule wants 5"):
        parse_cron("0 9 * *")
    with pytest.raises(ConfigError, match="'61' is not a value from 0 to 59"):
        parse_cron("61 * * * *")


async def test_what_the_engine_does_not_run_deploys_and_says_so_when_it_comes_due() -> None:
    clock = VirtualClock(MONDAY_9_SAO_PAULO)
    engine = Engine(clock=clock)
    engine.deploy(FLOW.replace("    timezone:", "    backfill: {start: 2026-01-01}\n    timezone:"))
    clock.advance(timedelta(days=1))
    with pytest.raises(ConfigError, match="did not fire: company.team.morning trigger"):
        await engine.fire_schedules()
    assert engine.executions() == []


def test_an_unknown_time_zone_is_refused_at_deploy() -> None:
    engine = Engine(clock=VirtualClock(MONDAY_9_SAO_PAULO))
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        engine.deploy(FLOW.replace("America/Sao_Paulo", "Mars/Olympus"))
