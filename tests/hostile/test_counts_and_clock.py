"""Counts, durations and clock moves are checked where they enter, with the limit in the answer:
a fault count of 10^30 or a clock move of 10^9 days is refused at once, never run."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from loopback import LoopbackServer

from lab import limits
from lab.clock import VirtualClock, parse_duration
from lab.conversation.composer import parse_command as parse_composer
from lab.errors import ConfigError
from lab.scenarios.loader import parse_scenario
from lab.whatsapp.faults import Faults

from .conftest import AUTH, sandbox_app


@pytest.fixture(scope="module")
def control():
    sandbox = sandbox_app()
    with (
        LoopbackServer(sandbox) as served,
        httpx.Client(base_url=served.url, headers=AUTH, timeout=10) as http,
    ):
        yield sandbox, http


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"fail_next": 10**30}, "outside 0 to 1,000"),
        ({"fail_next": 1e8}, "outside 0 to 1,000"),
        ({"fail_next": -1}, "outside 0 to 1,000"),
        ({"fail_next": "many"}, "must be a whole number"),
        ({"fail_next": 1, "code": 10**30}, "the error code"),
        ({"duplicate_next": 10**12}, "outside 0 to 1,000"),
        ({"delay_statuses": 1e9}, "outside 0 to 300"),
        (b'{"delay_statuses": NaN}', "not valid JSON"),
        ({"throughput": 0.5, "fail_next": 10**30}, "outside 0 to 1,000"),
        ({"throughput": "fast"}, "must be a number of sends per second"),
        ({"fial_next": 1}, "unknown key 'fial_next'"),
    ],
)
def test_fault_scripts_past_the_limits_are_refused_and_arm_nothing(control, body, words):
    sandbox, http = control
    content = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).content
    answer = http.post(
        "/_lab/faults", content=content, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == 100
    assert words in error["error_data"]["details"]
    assert not sandbox.faults.armed and sandbox.faults.status_delay == 0


@pytest.mark.parametrize(
    "duration", ["999999999999d", "P99999999999D", "400d", 10**30, -5, "1e400s"]
)
def test_clock_moves_past_a_year_are_refused(control, duration):
    sandbox, http = control
    before = sandbox.clock.time()
    answer = http.post("/_lab/advance", json={"duration": duration})
    assert answer.status_code == 400, answer.text
    assert sandbox.clock.time() == before


def test_a_clock_move_within_a_year_still_works(control):
    sandbox, http = control
    before = sandbox.clock.time()
    assert http.post("/_lab/advance", json={"duration": "25h"}).status_code == 200
    assert sandbox.clock.time() == before + 25 * 3600


def test_the_fault_script_and_clock_refuse_what_no_test_needs():
    faults = Faults()
    with pytest.raises(ConfigError, match="outside 0 to 1,000"):
        faults.server_error(10**8)
    faults.fail_next(600)
    with pytest.raises(
        ConfigError, match="outside 0 to 400"
    ):  # the script as a whole stays within the limit
        faults.fail_next(600)
    with pytest.raises(ValueError):
        VirtualClock().advance(float("inf"))
    with pytest.raises(ConfigError, match="too long"):
        parse_duration("9" * 400 + "s")
    assert limits.clock_move("366d") == timedelta(days=366)


SCENARIO = (
    "version: 1\nflow: company.whatsapp/lead_qualification\nsteps:\n  - user: oi\n  - {step}\n"
)


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("fault: {server_error: 100000000}", "outside 0 to 1,000"),
        ("fault: {server_error: 1e8}", "must be a whole number"),
        ("fault: {fail_next: 1, code: 99999999999999}", "the error code"),
        ("fault: {server_error: 1, http_status: 418}", "http_status must be 500 or 503"),
        ("advance: 9999999d", "outside 0 to 366 days"),
        ("advance: -5", "outside 0 to"),
        ("advance: .inf", "outside 0 to"),
        ("user: {text: oi, duplicates: 1000000}", "outside 0 to 10"),
        ("user: {text: oi, delivered_after: 5000d}", "outside 0 to 366 days"),
        ("wait: {status: read, timeout: 30d}", "outside 0 to 600"),
    ],
)
def test_scenario_steps_past_the_limits_are_located_errors(tmp_path, step, words):
    with pytest.raises(ConfigError) as caught:
        parse_scenario(SCENARIO.format(step=step), tmp_path / "s.yaml")
    assert words in caught.value.what
    assert caught.value.where == f"{tmp_path / 's.yaml'}:5" and caught.value.fix


def test_scenario_level_faults_and_repeat_are_bounded(tmp_path):
    text = SCENARIO.format(step="read: true") + "faults:\n  - {duplicate_next: 99999}\n"
    with pytest.raises(ConfigError, match="outside 0 to 1,000"):
        parse_scenario(text, tmp_path / "s.yaml")
    text = SCENARIO.format(step="read: true") + "llm: {source: live, repeat: 100000, pass_if: 1}\n"
    with pytest.raises(ConfigError, match="outside 1 to 100"):
        parse_scenario(text, tmp_path / "s.yaml")


@pytest.mark.parametrize(
    "line", ["/advance 99999999d", "/late 5000d oi", "/advance 9999999999999999999999h"]
)
def test_the_composer_refuses_clock_moves_past_a_year(line):
    with pytest.raises(ConfigError) as caught:
        parse_composer(line)
    assert caught.value.fix
