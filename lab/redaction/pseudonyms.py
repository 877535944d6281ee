"""Pseudonyms valid in form: a fake CPF passes the CPF check, a fake phone is a phone, and the
same value under the same key always gives the same pseudonym (keyed hash, no table to keep)."""

from __future__ import annotations

import functools
import hashlib
import hmac

from stdnum import luhn
from stdnum.br import cnpj

FIRST_NAMES = (
    "Ana",
    "Bruno",
    "Camila",
    "Diego",
    "Elisa",
    "Fábio",
    "Gabriela",
    "Heitor",
    "Isabela",
    "Júlio",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Patrícia",
    "Rafael",
    "Sílvia",
    "Tiago",
    "Valéria",
    "Vinícius",
)
LAST_NAMES = (
    "Almeida",
    "Barbosa",
    "Cardoso",
    "Duarte",
    "Esteves",
    "Freitas",
    "Gonçalves",
    "Honório",
    "Lacerda",
    "Monteiro",
    "Nogueira",
    "Pacheco",
    "Queiroz",
    "Rezende",
    "Siqueira",
    "Teixeira",
    "Vasconcelos",
)
STREETS = (
    "das Acácias",
    "dos Ipês",
    "das Palmeiras",
    "dos Jacarandás",
    "das Orquídeas",
    "dos Girassóis",
)


class Pseudonyms:
    """Fake values derived from the real ones by a keyed hash."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def _digits(self, kind: str, value: str, count: int) -> str:
        return _keyed_digits(self._key, kind, value, count)

    def _pick(self, kind: str, value: str, options: tuple[str, ...]) -> str:
        return options[int(self._digits(kind, value, 6)) % len(options)]

    def cpf(self, digits: str) -> str:
        base = self._digits("cpf", digits, 9)
        if len(set(base)) == 1:
            base = base[:-1] + str((int(base[-1]) + 1) % 10)
        return base + _cpf_check(base)

    def cnpj(self, digits: str) -> str:
        base = self._digits("cnpj", digits, 8) + "0001"
        return base + cnpj.calc_check_digits(base)

    def card(self, digits: str) -> str:
        base = digits[0] + self._digits("card", digits, len(digits) - 2)
        return base + luhn.calc_check_digit(base)

    def phone(self, digits: str, keep: int, e164: str) -> str:
        """The first `keep` digits (country and area code, a mobile's 9) kept, the rest replaced
        by the same digits however the number was written (they derive from its E.164 form)."""
        return digits[:keep] + self._digits("phone", e164, 16)[-(len(digits) - keep) :]

    def cep(self, digits: str) -> str:
        return digits[:2] + self._digits("cep", digits, 6)

    def email(self, address: str) -> str:
        # Letters only, no word: a flow reads words and numbers in a message (a fake address with
        # digits read as a bill value, one with `pessoa` as asking for a person).
        letters = "".join("abcdefghij"[int(d)] for d in self._digits("email", address.lower(), 8))
        return f"{letters}@example.com"

    def name(self, full: str) -> str:
        words = full.split()
        first = self._pick("first", full.casefold(), FIRST_NAMES)
        if len(words) == 1:
            return first
        return f"{first} {self._pick('last', full.casefold(), LAST_NAMES)}"

    def address(self, street_type: str, street: str, number: str) -> str:
        fake = f"{street_type} {self._pick('street', street.casefold(), STREETS)}"
        return f"{fake}, {int(self._digits('number', street + number, 3)) + 1}" if number else fake


@functools.lru_cache(maxsize=65536)
def _keyed_digits(key: bytes, kind: str, value: str, count: int) -> str:
    """`count` decimal digits of HMAC-SHA256(key, kind and value): the same value, the same digits."""
    out = ""
    counter = 0
    while len(out) < count:
        digest = hmac.new(key, f"{kind}:{counter}:{value}".encode(), hashlib.sha256).digest()
        out += "".join(str(b % 10) for b in digest)
        counter += 1
    return out[:count]


def _cpf_check(base: str) -> str:
    d1 = sum((10 - i) * int(n) for i, n in enumerate(base)) * 10 % 11 % 10
    d2 = sum((11 - i) * int(n) for i, n in enumerate(base + str(d1))) * 10 % 11 % 10
    return f"{d1}{d2}"


def shaped(template: str, digits: str) -> str:
    """`digits` written in the shape of `template` (its separators kept where they were)."""
    it = iter(digits)
    return "".join(next(it) if ch.isdigit() else ch for ch in template)
