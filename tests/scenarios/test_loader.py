"""Scenario files: shapes accepted, errors naming file, line and the expected shape, data-driven expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.errors import ConfigError
from lab.scenarios.loader import expand, parse_scenario

P = Path("scenarios/x/demo.yaml")
HEAD = "version: 1\nflow: company.whatsapp/whatsapp_agent\n"


def _err(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_scenario(text, P)
    return info.value


def test_every_action_and_expectation_parses() -> None:
    sc = parse_scenario(
        HEAD
        + """\
prompt: concise
contacts: [{name: Ana, wa_id: '5511900000001'}, {name: Bia, wa_id: '5511900000002'}]
clock: 2026-03-02T09:00:00-03:00
budget: {tokens: 5000, cost_usd: 0.01, per_turn: {latency_ms: 3000}}
tolerance: {tokens: 0.1, cost: 0.2}
steps:
  - user: Olá
    expect:
      contains: [plano, preço]
      matches: "R\\\\$ ?\\\\d+"
      buttons: [Ver planos]
      state: SUCCESS
      output: {task: classify, path: $.intent, equals: lead}
      budget: {tokens: 900}
      judge: answers in Portuguese
  - tap: Ver planos
  - media: {path: files/conta.jpg, caption: minha conta}
  - location: {lat: -23.55, lon: -46.63, name: Casa}
  - contacts: [{name: Carla, phone: '+5511988887777'}]
  - react: 👍
  - reply_to: {text: esse aqui}
  - advance: 25h
  - wait: {status: read, timeout: 2s}
  - read: true
  - contact: Bia
""",
        P,
    )
    assert [s.action for s in sc.steps] == [
        "user",
        "tap",
        "media",
        "location",
        "contacts",
        "react",
        "reply_to",
        "advance",
        "wait",
        "read",
        "contact",
    ]
    e = sc.steps[0].expect
    assert (
        e.contains == ["plano", "preço"]
        and e.outputs[0].equals == "lead"
        and e.judge == {"rubric": "answers in Portuguese"}
    )
    assert (
        sc.budget.tokens == 5000
        and sc.budget_per_turn.latency_ms == 3000
        and sc.tolerance.cost == 0.2
    )
    assert sc.llm.source == "cassette" and sc.llm.cassette == P.with_name("demo.cassette.yaml")
    assert sc.steps[0].line == 9


@pytest.mark.parametrize(
    "body, what, line, expected",
    [
        ("steps:\n  - user: Oi\n  - tapp: x\n", "unknown step key 'tapp'", 5, "one of user, tap"),
        ("steps:\n  - user: Oi\n    tap: x\n", "exactly one action", 4, "one of user"),
        ("steps:\n  - advance: soon\n", "not a duration", 4, "25h"),
        (
            "steps:\n  - user: Oi\n    expect: {output: {task: t, path: '$$[['}}\n",
            "not a valid JSONPath",
            5,
            "JSONPath",
        ),
        (
            "steps:\n  - user: Oi\n    expect: {matches: '(unclosed'}\n",
            "not a valid regular expression",
            5,
            "regular",
        ),
        (
            "llm: {source: telepathy}\nsteps:\n  - user: Oi\n",
            "unknown LLM source",
            3,
            "cassette, scripted, live",
        ),
        (
            "llm: {source: live, repeat: 3, pass_if: 5}\nsteps:\n  - user: Oi\n",
            "pass_if",
            3,
            "repeat: 5",
        ),
        (
            "contacts: [{name: Ana, wa_id: '+55 11'}]\nsteps:\n  - user: Oi\n",
            "not a valid phone number: '+55 11'",
            3,
            "+55 11 98765-4321",
        ),
        (
            "steps:\n  - user: Oi\n    expect: {colour: blue}\n",
            "unknown expectation 'colour'",
            5,
            "buttons",
        ),
        ("stepz: []\n", "unknown key 'stepz'", 3, "steps"),
        (
            "steps:\n  - user: Oi\n    expect:\n      buttons: Ver planos\n",
            "buttons must be a list of titles",
            6,
            "buttons: [Ver planos]",
        ),
        (
            "steps:\n  - user: Oi\n    expect:\n      replies: [{rows: Básico}]\n",
            "rows must be a list",
            6,
            "rows: [Básico]",
        ),
        (
            "steps:\n  - user: Oi\n    expect:\n      state: SUCESS\n",
            "unknown execution state 'SUCESS'",
            6,
            "did you mean SUCCESS? one of BREAKPOINT, CANCELLED",
        ),
    ],
)
def test_errors_name_file_line_and_shape(body: str, what: str, line: int, expected: str) -> None:
    err = _err(HEAD + body)
    assert what in err.what
    assert err.where == f"{P}:{line}"
    assert expected in (err.fix or "")


def test_version_and_flow_are_required() -> None:
    assert "version" in _err("flow: a/b\nsteps: [{user: Oi}]\n").what
    assert "namespace/id" in _err("version: 1\nflow: agent\nsteps: [{user: Oi}]\n").what


def test_utterances_and_vars_expand_into_cases() -> None:
    sc = parse_scenario(
        HEAD
        + """\
vars: [{plano: Básico}, {plano: Premium}]
steps:
  - user: ["Quero o {{ plano }}", "Preço do {{plano}}?"]
    expect: {contains: "{{ plano }}"}
  - user: [sim, ok]
""",
        P,
    )
    cases = expand(sc)
    assert len(cases) == 8
    assert cases[0].test_name == "demo[Básico-Quero_o_plano-sim]"
    assert cases[0].steps[0].value == "Quero o Básico" and cases[0].steps[0].expect.contains == [
        "Básico"
    ]
    assert cases[-1].steps[0].value == "Preço do Premium?" and cases[-1].steps[1].value == "ok"
    assert len({c.test_name for c in cases}) == 8


def test_scripted_source_needs_replies() -> None:
    assert (
        "scripted replies missing"
        in _err(HEAD + "llm: {source: scripted}\nsteps: [{user: Oi}]\n").what
    )
    sc = parse_scenario(
        HEAD + "llm: {scripted: [Olá!, {match: preço, reply: R$ 99}]}\nsteps: [{user: Oi}]\n", P
    )
    assert sc.llm.source == "scripted" and len(sc.llm.scripted) == 2


def test_llm_none_is_a_scenario_recorded_with_no_model(tmp_path):
    from lab.scenarios.loader import parse_scenario
    from lab.scenarios.player import LLM_MODES

    text = (
        "version: 1\nflow: company.whatsapp/lead_qualification\nllm: none\nsteps:\n  - user: Oi\n"
    )
    scenario = parse_scenario(text, tmp_path / "scenarios" / "x.yaml")
    assert (
        scenario.llm.source == "none"
        and scenario.llm.scripted is None
        and scenario.llm.cassette is None
    )
    assert LLM_MODES["none"] == "scripted"  # the gateway in scripted mode with no script: no model
