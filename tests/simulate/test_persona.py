"""Persona files: the bundled ones load; a wrong one is an error at its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.conversation.actions import Advance, SendContacts, SendLocation, SendText, Tap
from lab.errors import ConfigError
from lab.simulate.moves import is_quiet, parse_move
from lab.simulate.persona import find_persona, load_persona, parse_persona

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "personas").rglob("*.yaml"))
BUNDLED = [p for p in BUNDLED if not p.name.endswith(".cassette.yaml")]


def test_six_customers_and_a_red_team_pack_are_bundled() -> None:
    personas = [load_persona(p) for p in BUNDLED]
    customers = [p for p in personas if not p.red_team]
    red = {p.name for p in personas if p.red_team}
    assert len(customers) >= 6
    assert {
        "injection_text",
        "injection_contact_card",
        "system_prompt_extraction",
        "other_customer_data",
        "unauthorised_discount",
        "abuse",
        "language_switch",
    } <= red
    assert all(
        p.assertions.never_contains or p.assertions.never_matches for p in personas if p.red_team
    )
    assert {p.flow for p in customers} == {
        "company.whatsapp/whatsapp_agent",
        "company.whatsapp/lead_qualification",
        "company.whatsapp/faq_energy_assistant",
    }


def test_a_persona_is_found_by_name() -> None:
    assert find_persona("dona_cida", ROOT).name == "dona_cida.yaml"
    assert find_persona("abuse", ROOT).parent.name == "red_team"
    with pytest.raises(ConfigError, match="no persona 'nobody'") as err:
        find_persona("nobody", ROOT)
    assert "dona_cida" in (err.value.fix or "")


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_persona(text, Path("personas/x.yaml"))
    return err.value


def test_errors_name_the_line_and_the_shape() -> None:
    e = _error("name: x\nmodel: m\ngoall: typo\n")
    assert e.where == "personas/x.yaml:3" and "unknown key 'goall'" in e.what
    e = _error("name: x\nscript:\n  - say: Oi\n  - jump: high\n")
    assert e.where == "personas/x.yaml:4" and "is not a move" in e.what and "say" in (e.fix or "")
    e = _error("name: x\nscript:\n  - quiet: forever\n")
    assert e.where == "personas/x.yaml:3" and "quiet" in e.what
    e = _error("name: x\ngoal: y\n")
    assert "needs a model" in e.what
    e = _error("name: x\nmodel: m\nrubric: {criteria: [{name: a, weight: -1}]}\n")
    assert "criterion" in e.what and e.where.startswith("personas/x.yaml:")
    e = _error("name: x\nmodel: m\njudge: {scripted: {unknown: 1}}\n")
    assert "scripted scores" in e.what
    e = _error("name: x\nmodel: m\nassertions: {never_matches: ['(']}\n")
    assert "not a regular expression" in e.what


def test_moves_become_lab_acts() -> None:
    assert parse_move({"say": "Oi"}).actions == (SendText("Oi"),)
    assert parse_move({"tap": "Ver planos"}).actions == (Tap("Ver planos"),)
    burst = parse_move({"burst": ["oi", "tudo bem?", "quero um orçamento"]})
    assert [a.text for a in burst.actions] == ["oi", "tudo bem?", "quero um orçamento"]
    quiet = parse_move({"quiet": "25h"})
    assert (
        isinstance(quiet.actions[0], Advance)
        and quiet.actions[0].delta.total_seconds() == 25 * 3600
    )
    assert is_quiet(quiet)
    assert isinstance(
        parse_move({"location": {"lat": -25.4, "lon": -49.2}}).actions[0], SendLocation
    )
    assert isinstance(parse_move({"contacts": [{"name": "Ana"}]}).actions[0], SendContacts)
    assert parse_move({"done": "goal_reached"}).done == "goal_reached"
    with pytest.raises(ConfigError, match="not a reason to stop"):
        parse_move({"done": "bored"})
