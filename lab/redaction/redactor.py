"""The redactor: finds personal data in text and nested data and puts pseudonyms in its place."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from stdnum import luhn
from stdnum.br import cnpj, cpf

from lab.redaction.policy import RedactionPolicy
from lab.redaction.pseudonyms import Pseudonyms, shaped

_EMAIL = r"(?<![\w.+-])(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
_STREET_TYPES = r"Rua|R\.|Avenida|Av\.|Alameda|Al\.|Travessa|Tv\.|Estrada|Rodovia|Praça|Largo"
_WORD = r"[A-ZÀ-Ý][\wÀ-ÿ'.]*"
_ADDRESS = (
    rf"\b(?P<street_type>(?i:{_STREET_TYPES}))\s+(?P<street>(?:d[aoe]s?\s+)?{_WORD}"
    rf"(?:\s+(?:d[aoe]s?\s+)?{_WORD}){{0,5}})(?:,?\s*(?:n[º°o]\.?\s*)?(?P<number>\d{{1,5}})\b)?"
)
_CEP = r"\b(?i:CEP):?\s*(?P<cep>\d{5}-?\d{3})\b"
_DIGITS = (
    r"(?P<digits>[+(\d][\d().\-/ ]{5,}\d)(?![\w@])"  # starts on a character class: a fast scan
)
_EMAIL_RE, _ADDRESS_RE, _CEP_RE, _DIGITS_RE = (
    re.compile(p) for p in (_EMAIL, _ADDRESS, _CEP, _DIGITS)
)
_STREET_TRIGGERS = (
    "rua",
    "r. ",
    "av. ",
    "avenida",
    "alameda",
    "al. ",
    "travessa",
    "tv. ",
    "estrada",
    "rodovia",
    "praça",
    "largo",
)
_ANY_DIGIT = re.compile(r"\d")
_NAME_STOPWORDS = {"da", "de", "do", "das", "dos", "e"}
_CACHE_LIMIT = 100_000
_NUMBERS: dict[
    tuple[str, frozenset[str], str], tuple[str, str | None]
] = {}  # process-wide: pure results


class Redactor:
    """Applies one `RedactionPolicy`; keep one per scenario so pseudonyms stay consistent.

    Args:
        policy: what to replace; a disabled policy makes `text` and `data` return their input.
    """

    def __init__(self, policy: RedactionPolicy | None = None) -> None:
        self.policy = policy or RedactionPolicy()
        self.fake = Pseudonyms(self.policy.key)
        self.found: dict[str, int] = {}  # kind -> values replaced, for the writer's summary
        self._cache: dict[str, str] = {}
        self._names: dict[str, str] = {}  # casefolded real name or name word -> its pseudonym
        self._made: set[str] = (
            set()
        )  # pseudonyms given: left alone when met again (redacting twice is once)
        self._compile()
        self.learn_names(self.policy.names)

    @property
    def enabled(self) -> bool:
        return self.policy.enabled

    def learn_names(self, names: list[str] | tuple[str, ...]) -> None:
        """Also replace these contact names (whole, and each of their words)."""
        if "name" not in self.policy.kinds:
            return
        added = False
        for name in names:
            name = " ".join(str(name).split())
            if not name or name in self.policy.allow or name.casefold() in self._names:
                continue
            fake = self.fake.name(name)
            self._names[name.casefold()] = fake
            real_words, fake_words = name.split(), fake.split()
            for i, word in enumerate(real_words):
                if (
                    len(word) >= 3
                    and word.casefold() not in _NAME_STOPWORDS
                    and word not in self.policy.allow
                ):
                    pick = fake_words[0] if i == 0 else fake_words[-1]
                    self._names.setdefault(word.casefold(), pick)
            added = True
        if added:
            self._cache.clear()
            self._compile()

    def _compile(self) -> None:
        """One pass per kind of finding, each run only on text holding what it starts with."""
        kinds = self.policy.kinds
        self._passes: list[tuple[str, re.Pattern[str]]] = []  # (trigger, pattern)
        if "email" in kinds:
            self._passes.append(("@", _EMAIL_RE))
        if "cep" in kinds:
            self._passes.append(("cep", _CEP_RE))
        if "address" in kinds:
            self._passes.append(("street", _ADDRESS_RE))
        if self._names:
            words = sorted(self._names, key=len, reverse=True)
            names = re.compile(
                r"(?<!\w)(?P<name>(?i:" + "|".join(re.escape(w) for w in words) + r"))(?!\w)"
            )
            self._passes.append(("name", names))
        if kinds & {"cpf", "cnpj", "phone", "card", "cep"}:
            self._passes.append(("digit", _DIGITS_RE))
        self._pattern = bool(self._passes) or None

    # -- text -------------------------------------------------------------------------------------

    def text(self, value: str) -> str:
        """The text with every piece of personal data replaced by its pseudonym."""
        if not self.policy.enabled or self._pattern is None or not value:
            return value
        done = self._cache.get(value)
        if done is None:
            done = value
            lowered = None
            for trigger, pattern in self._passes:
                if trigger == "@":
                    run = "@" in done
                elif trigger == "digit":
                    run = _ANY_DIGIT.search(done) is not None
                else:
                    lowered = done.casefold() if lowered is None else lowered
                    words = (
                        (_STREET_TRIGGERS if trigger == "street" else self._names)
                        if trigger != "cep"
                        else ("cep",)
                    )
                    run = any(word in lowered for word in words)
                if run:
                    done = pattern.sub(self._replace, done)
                    lowered = None
            if len(self._cache) < _CACHE_LIMIT:
                self._cache[value] = done
        return done

    def _replace(self, m: re.Match[str]) -> str:
        raw = m.group(0)
        if raw in self.policy.allow or raw in self._made:
            return raw
        kind = m.lastgroup
        if kind == "email":
            return self._count("email", self.fake.email(raw))
        if kind == "name":
            return self._count("name", _cased(self._names[raw.casefold()], raw))
        if kind == "cep":
            return raw[: m.start("cep") - m.start()] + self._cep(m.group("cep"))
        if m.re is _ADDRESS_RE:
            return self._count(
                "address",
                self.fake.address(
                    m.group("street_type"), m.group("street"), m.group("number") or ""
                ),
            )
        start = m.start()
        if start and (m.string[start - 1].isalnum() or m.string[start - 1] in "_@.+"):
            return raw  # digits inside a word or an id, not a number of their own
        return self._digits(raw)

    def _count(self, kind: str, fake: str) -> str:
        self.found[kind] = self.found.get(kind, 0) + 1
        self._made.add(fake)
        return fake

    def _cep(self, raw: str) -> str:
        return self._count(
            "cep", shaped(raw, self.fake.cep("".join(c for c in raw if c.isdigit())))
        )

    def _digits(self, raw: str) -> str:
        """A run of digits and separators: a document, card, phone or CEP, or pieces of several."""
        fake = self._number(raw)
        if fake is not None:
            return fake
        pieces = raw.split(" ")
        if len(pieces) == 1:
            return raw
        out, i = [], 0
        while i < len(pieces):  # the longest run of pieces that is one number, from the left
            for j in range(len(pieces), i, -1):
                fake = self._number(" ".join(pieces[i:j])) if j - i < len(pieces) else None
                if fake is not None:
                    out.append(fake)
                    i = j
                    break
            else:
                out.append(pieces[i])
                i += 1
        return " ".join(out)

    def _number(self, raw: str) -> str | None:
        if raw in self.policy.allow or raw in self._made:
            return None
        memo_key = (self.policy.key, self.policy.kinds, raw)
        known = _NUMBERS.get(memo_key)
        if known is None:
            known = self._classify(raw)
            if len(_NUMBERS) < _CACHE_LIMIT:
                _NUMBERS[memo_key] = known
        kind, fake = known
        return self._count(kind, fake) if fake is not None else None

    def _classify(self, raw: str) -> tuple[str, str | None]:
        """(kind, pseudonym) of a run of digits, or ("", None): a pure function of key, kinds and text."""
        kinds = self.policy.kinds
        digits = "".join(c for c in raw if c.isdigit())
        bare = digits == raw
        n = len(digits)
        if (
            n == 11
            and "cpf" in kinds
            and cpf.is_valid(digits)
            and (bare or _shaped_like(raw, "ddd.ddd.ddd-dd"))
        ):
            return "cpf", shaped(raw, self.fake.cpf(digits))
        if n == 14 and "cnpj" in kinds and cnpj.is_valid(digits):
            return "cnpj", shaped(raw, self.fake.cnpj(digits))
        if n == 8 and "cep" in kinds and len(raw) == 9 and raw[5] == "-":
            return "cep", shaped(raw, self.fake.cep(digits))
        if "phone" in kinds and 8 <= n <= 15:
            found = _phone(raw, digits)
            if found is not None:
                keep, e164 = found
                return "phone", shaped(raw, self.fake.phone(digits, keep, e164))
        if (
            "card" in kinds
            and digits[0] in _CARD_FIRST_DIGITS.get(n, "")
            and luhn.is_valid(digits)
            and not raw.startswith(("+", "("))
        ):
            return "card", shaped(raw, self.fake.card(digits))
        return "", None

    # -- data -------------------------------------------------------------------------------------

    def data(self, value: Any) -> Any:
        """A copy of nested dicts/lists with personal data in every string value replaced (keys kept);
        the contact names the data carries (WhatsApp profiles, scenario contacts) are learnt first."""
        if not self.policy.enabled:
            return value
        names: list[str] = []
        _collect_names(value, names)
        if names:
            self.learn_names(names)
        return self._data(value)

    def _data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self._data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._data(v) for v in value]
        return value


def _collect_names(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        profile = value.get("profile")
        if isinstance(profile, dict) and isinstance(profile.get("name"), str):
            out.append(profile["name"])
        if isinstance(value.get("name"), str) and (
            "wa_id" in value or "phone" in value or "phones" in value
        ):
            out.append(value["name"])
        for v in value.values():
            if isinstance(v, dict | list):
                _collect_names(v, out)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict | list):
                _collect_names(v, out)


def _shaped_like(raw: str, template: str) -> bool:
    return len(raw) == len(template) and all(
        c.isdigit() if t == "d" else c == t for c, t in zip(raw, template)
    )


# Card numbers by length, the first digits their networks issue: 13 digits only for Visa (4),
# 14 and 15 for Diners and Amex (3). A 13-digit run from 5 is a WhatsApp id (55...), not a card.
_CARD_FIRST_DIGITS = {13: "4", 14: "3", 15: "3", 16: "3456", 17: "3456", 18: "3456", 19: "3456"}


def _phone(raw: str, digits: str) -> tuple[int, str] | None:
    """How many leading digits of a valid phone number to keep (country and area code) and the
    number in E.164 (one pseudonym whatever the format), else None.

    Bare digits must look like a WhatsApp id or a Brazilian mobile (11 digits, 12-13 from 55):
    a bare 10-digit run is more often a timestamp than a landline."""
    if raw == digits:
        if len(digits) == 11 and digits[2] == "9":
            text = digits
        elif len(digits) in (12, 13) and digits.startswith("55"):
            text = "+" + digits
        else:
            return None
    else:
        text = raw
    try:
        number = phonenumbers.parse(text, "BR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    national = str(number.national_number)
    written_code = len(digits) - len(national)  # the country code as written (0 when absent)
    area = 2 if number.country_code == 55 else 0
    mobile = 1 if number.country_code == 55 and national[area : area + 1] == "9" else 0
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return max(0, written_code) + area + mobile, e164


def _cased(fake: str, raw: str) -> str:
    if raw.isupper():
        return fake.upper()
    if raw.islower():
        return fake.lower()
    return fake
