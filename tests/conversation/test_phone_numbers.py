"""Phone numbers as people write them, wherever a contact's number is entered (issue 15): one
reader (`lab.phone_numbers`, the `phonenumbers` library) for the composer's /contact and /as,
the TUI's add-contact dialog, scenario files and walab.yaml; an invalid number says what is wrong
and how to write it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.config import Contact, load_settings
from lab.conversation import actions as acts
from lab.conversation.composer import parse_command
from lab.conversation.phone import find_contact, new_contact
from lab.errors import ConfigError
from lab.phone_numbers import HOW_TO_WRITE, wa_id_of
from lab.scenarios.loader import parse_scenario

from .conftest import MARIA


@pytest.mark.parametrize(
    "written, wa_id",
    [
        ("+55 (11) 98765-4321", "5511987654321"),
        ("11 98765-4321", "5511987654321"),
        ("(11) 98765-4321", "5511987654321"),
        ("11987654321", "5511987654321"),
        ("5511987654321", "5511987654321"),
        ("+55 51 99999-0000", "5551999990000"),
        ("+55 21 97777-1234", "5521977771234"),
        ("51 99999-0000", "5551999990000"),  # Brazil's area code 51, not Peru's country code
        ("+1 415 555 2671", "14155552671"),
        ("14155552671", "14155552671"),
        ("+44 7911 123456", "447911123456"),
    ],
)
def test_numbers_are_read_as_people_write_them(written: str, wa_id: str) -> None:
    assert wa_id_of(written) == wa_id


@pytest.mark.parametrize(
    "written, what",
    [
        ("12345", "not a valid phone number: '12345' (5 digits)"),
        ("+55 11 1234", "not a valid phone number: '+55 11 1234'"),
        ("12ab", "not a phone number: '12ab'"),
    ],
)
def test_an_invalid_number_says_what_and_how_to_write_it(written: str, what: str) -> None:
    with pytest.raises(ConfigError) as info:
        wa_id_of(written)
    assert info.value.what.startswith(what) and info.value.fix == HOW_TO_WRITE
    assert "+55 11 98765-4321" in HOW_TO_WRITE


def test_the_composer_contact_card_keeps_a_name_of_several_words() -> None:
    """`/contact João Silva +55 51 99999-0000` took the last token as the phone."""
    assert parse_command("/contact João Silva +55 51 99999-0000") == acts.SendContacts(
        (acts.ContactCard("João Silva", "+5551999990000"),)
    )
    assert parse_command('/contact "Ana Lima" (11) 98765-4321') == acts.SendContacts(
        (acts.ContactCard("Ana Lima", "+5511987654321"),)
    )
    with pytest.raises(ConfigError, match="not a valid phone number: '1234'"):
        parse_command("/contact Ana 1234")
    with pytest.raises(ConfigError, match="/contact needs a name and a phone"):
        parse_command("/contact Ana Lima")


def test_as_finds_a_contact_by_its_number_as_written() -> None:
    contacts = [Contact(MARIA, "Maria Souza"), Contact("5521998765432", "João Pereira")]
    assert find_contact(contacts, "+55 (21) 99876-5432").name == "João Pereira"
    assert find_contact(contacts, "11 98765-4321").name == "Maria Souza"
    assert find_contact(contacts, "João").wa_id == "5521998765432"
    with pytest.raises(ConfigError, match="not a valid phone number"):
        find_contact(contacts, "+55 11 1234")


def test_the_add_contact_dialog_check_takes_a_pasted_number() -> None:
    """F4 rejected `+55 21 97777-1234`; the dialog asks this core function."""
    assert new_contact(" Ana  Lima ", "+55 21 97777-1234") == ("Ana Lima", "5521977771234")
    assert new_contact("Ana", "") == ("Ana", None)
    with pytest.raises(ConfigError, match="the contact needs a name"):
        new_contact("  ", "+55 21 97777-1234")
    with pytest.raises(ConfigError, match="not a phone number: '12ab'"):
        new_contact("Ana", "12ab")


async def test_a_lab_adds_a_contact_by_a_pasted_number(open_lab) -> None:
    async with open_lab() as lab:
        added = lab.add_contact("Ana Lima", "+55 21 97777-1234")
        assert (added.name, added.wa_id) == ("Ana Lima", "5521977771234")


def test_scenario_contacts_take_numbers_as_written_and_name_the_line_of_a_bad_one() -> None:
    head = "version: 1\nflow: company.whatsapp/whatsapp_agent\n"
    good = parse_scenario(
        head + "contacts: [{name: Ana, wa_id: '+55 (11) 98765-4321'}]\nsteps: [{user: Oi}]\n",
        Path("scenarios/x/demo.yaml"),
    )
    assert good.contacts[0].wa_id == "5511987654321"
    with pytest.raises(ConfigError) as info:
        parse_scenario(
            head + "contacts:\n  - {name: Ana, wa_id: '11 1234'}\nsteps: [{user: Oi}]\n",
            Path("scenarios/x/demo.yaml"),
        )
    assert info.value.where == "scenarios/x/demo.yaml:4"
    assert "not a valid phone number: '11 1234'" in info.value.what
    assert "+55 11 98765-4321" in (info.value.fix or "")


def test_walab_yaml_contacts_take_numbers_as_written(tmp_path: Path) -> None:
    (tmp_path / "walab.yaml").write_text(
        "contacts: [{name: Ana, wa_id: '+55 21 97777-1234'}]\n", encoding="utf-8"
    )
    assert load_settings(tmp_path, env={}).contacts == [Contact("5521977771234", "Ana")]
    (tmp_path / "walab.yaml").write_text(
        "contacts: [{name: Ana, wa_id: '21 7777'}]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="contact 1: not a valid phone number"):
        load_settings(tmp_path, env={})


def test_a_persona_contact_takes_its_number_as_written() -> None:
    from lab.simulate.persona import parse_persona

    head = "version: 1\nname: ana\ngoal: saber o preço\nscript: [{say: Oi}]\n"
    persona = parse_persona(
        head + "contact: {name: Ana, wa_id: '+55 (11) 91234-5678'}\n", Path("personas/ana.yaml")
    )
    assert persona.contact == {"name": "Ana", "wa_id": "5511912345678"}
    with pytest.raises(ConfigError) as info:
        parse_persona(head + "contact: {name: Ana, wa_id: '1234'}\n", Path("personas/ana.yaml"))
    assert "not a valid phone number: '1234'" in info.value.what
    assert info.value.where == "personas/ana.yaml:5"
