"""Redaction of pt-BR personal data: documents by check digits, phones as people write them,
names with accents, addresses; pseudonyms valid in form and consistent."""

from __future__ import annotations

import phonenumbers
import pytest
from stdnum import luhn
from stdnum.br import cnpj, cpf

from lab.config import Contact, load_settings
from lab.errors import ConfigError
from lab.redaction import NOTICE, RedactionPolicy, Redactor, policy_for, policy_of

VALID_CPF, INVALID_CPF = "529.982.247-25", "529.982.247-24"
VALID_CNPJ, INVALID_CNPJ = "11.222.333/0001-81", "11.222.333/0001-82"


def test_cpf_and_cnpj_by_check_digits_and_replaced_by_valid_ones() -> None:
    r = Redactor()
    out = r.text(
        f"CPF {VALID_CPF}, sem pontos 52998224725, errado {INVALID_CPF}; CNPJ {VALID_CNPJ} e {INVALID_CNPJ}"
    )
    assert VALID_CPF not in out and "52998224725" not in out and VALID_CNPJ not in out
    assert INVALID_CPF in out and INVALID_CNPJ in out  # not a document: left as written
    fake_cpf = out.split()[1].rstrip(",")
    assert cpf.is_valid(fake_cpf) and len(fake_cpf) == len(VALID_CPF) and fake_cpf[3] == "."
    fake_cnpj = out.split("CNPJ ")[1].split()[0]
    assert cnpj.is_valid(fake_cnpj) and fake_cnpj[2] == "." and "/" in fake_cnpj


@pytest.mark.parametrize(
    "written",
    [
        "(11) 98765-4321",
        "11 98765-4321",
        "11987654321",
        "+55 11 98765-4321",
        "5511987654321",
        "+55 (11) 98765-4321",
        "11 98765 4321",
        "011 98765-4321",
    ],
)
def test_phones_as_people_write_them(written: str) -> None:
    r = Redactor()
    out = r.text(f"me chama no {written} por favor")
    fake = out.removeprefix("me chama no ").removesuffix(" por favor")
    assert fake != written and len(fake) == len(written)
    assert [c for c in fake if not c.isdigit()] == [
        c for c in written if not c.isdigit()
    ]  # same shape
    number = phonenumbers.parse(fake if not fake.isdigit() or len(fake) < 12 else "+" + fake, "BR")
    assert phonenumbers.is_valid_number(number)


def test_one_phone_one_pseudonym_in_every_format() -> None:
    r = Redactor()
    outs = [
        r.text(w) for w in ("(11) 98765-4321", "11987654321", "5511987654321", "+55 11 98765-4321")
    ]
    assert len({"".join(c for c in o if c.isdigit())[-8:] for o in outs}) == 1


def test_names_with_accents_whole_and_by_word_case_kept() -> None:
    r = Redactor(RedactionPolicy(names=("João Conceição", "Márcia Ávila")))
    out = r.text("Oi João Conceição! joão, a MÁRCIA ÁVILA ligou. Márcia disse que sim.")
    for real in ("João", "joão", "Conceição", "MÁRCIA", "ÁVILA", "Márcia"):
        assert real not in out
    fake_full = r.text("João Conceição")
    assert fake_full.split()[0] in out and r.text("joão") == fake_full.split()[0].lower()
    assert r.text("MÁRCIA ÁVILA") == r.text("Márcia Ávila").upper()


def test_names_learnt_from_webhook_profiles_and_scenario_contacts() -> None:
    r = Redactor()
    data = {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "contacts": [
                                {"profile": {"name": "Zé Brandão"}, "wa_id": "5511987654321"}
                            ],
                            "messages": [
                                {"text": {"body": "Sou o Brandão, meu email zé@exemplo.com.br"}}
                            ],
                        }
                    }
                ]
            }
        ],
        "contacts": [{"name": "Ana Lúcia", "wa_id": "5521998765432"}],
        "note": "Ana Lúcia confirmou",
    }
    out = repr(r.data(data))
    for real in ("Brandão", "Ana Lúcia", "zé@exemplo.com.br", "5511987654321", "5521998765432"):
        assert real not in out


def test_cep_addresses_emails_cards() -> None:
    r = Redactor()
    text = (
        "Moro na Rua das Flores, 123, CEP 01310-100 (ou Av. Paulista 1000, CEP: 01311000); "
        "maria.souza@gmail.com; cartão 4111 1111 1111 1111; pedido 1234567890123"
    )
    out = r.text(text)
    for real in (
        "Flores",
        "01310-100",
        "Paulista",
        "01311000",
        "maria.souza@gmail.com",
        "4111 1111 1111 1111",
    ):
        assert real not in out
    assert "1234567890123" in out  # not a card (fails Luhn): an order number stays
    card = out.split("cartão ")[1].split(";")[0]
    assert luhn.is_valid(card.replace(" ", "")) and len(card) == 19


def test_what_is_not_personal_stays() -> None:
    r = Redactor()
    assert r.text("a rua está alagada e eu moro lá") == "a rua está alagada e eu moro lá"
    assert r.text("Rua Marechal Deodoro, 450 - Centro").endswith(" - Centro")
    text = "timestamp 1733600000, data 2026-12-07, R$ 1.234,56, wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjA5, 42 %"
    assert r.text(text) == text


def test_consistent_across_redactors_with_one_key_and_different_with_another() -> None:
    text = f"{VALID_CPF} (11) 98765-4321 fulano@x.com"
    assert Redactor().text(text) == Redactor().text(text)
    assert Redactor(RedactionPolicy(key="outro")).text(text) != Redactor().text(text)


def test_allow_list_kinds_and_disabled() -> None:
    r = Redactor(policy_of({"kinds": ["email"], "allow": ["contato@solarsul.com.br"]}))
    assert r.text(
        f"contato@solarsul.com.br {VALID_CPF} a@b.com"
    ) == f"contato@solarsul.com.br {VALID_CPF} " + r.text("a@b.com")
    off = Redactor(RedactionPolicy(enabled=False))
    assert (
        off.text(VALID_CPF) == VALID_CPF
        and not off.enabled
        and NOTICE.startswith("# PERSONAL DATA")
    )


def test_walab_yaml_redaction_settings(tmp_path) -> None:
    (tmp_path / "walab.yaml").write_text(
        "redaction: {kinds: [cpf, phone], allow: ['11 98765-4321'], key: k}\n"
    )
    settings = load_settings(tmp_path, env={})
    settings.contacts = [Contact("5511987654321", "Joana D'Arc")]
    policy = policy_for(settings)
    assert (
        policy.kinds == {"cpf", "phone"} and "11 98765-4321" in policy.allow and policy.key == "k"
    )
    assert settings.business.display_phone_number in policy.allow
    assert not policy_for(settings, redact=False).enabled
    (tmp_path / "walab.yaml").write_text("redaction: {kinds: [cpf, rg]}\n")
    with pytest.raises(ConfigError, match="unknown kind"):
        policy_for(load_settings(tmp_path, env={}))
    (tmp_path / "walab.yaml").write_text("redaction: everything\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_settings(tmp_path, env={})


def test_a_whatsapp_id_that_passes_luhn_is_not_a_card() -> None:
    """55 + a number outside Brazil's area codes (a load run's users) is no valid phone; it is no card
    either: 13-digit cards are Visa's (4...), whatever Luhn says."""
    redactor = Redactor(RedactionPolicy())
    assert luhn.is_valid("5558600000006")
    assert redactor.data({"wa_id": "5558600000006"}) == {"wa_id": "5558600000006"}
    visa13 = "4222222222222"
    assert luhn.is_valid(visa13) and redactor.data({"n": visa13}) != {"n": visa13}
