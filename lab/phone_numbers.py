"""Phone numbers as people write them, read into WhatsApp ids (below every package: settings,
scenarios, the phone and the TUI all read numbers here).

A wa_id is the number's digits with the country code first (`5511987654321`). People paste
numbers in many forms (`+55 (11) 98765-4321`, `11 98765-4321`, `(11) 98765-4321`, `5511987654321`);
the `phonenumbers` library (Google's libphonenumber) reads them all, a national number as one
of the business's country (Brazil unless told), and says whether the number can exist. Every place
a contact's number is entered (the composer's /contact and /as, the TUI's add-contact dialog,
scenario files, `walab.yaml`, `walab record`) reads it here.
"""

from __future__ import annotations

import re

from lab.errors import ConfigError

DEFAULT_REGION = "BR"
# A wa_id written as digits: the country code and a number longer than any national one.
WA_ID_DIGITS = (12, 15)
HOW_TO_WRITE = (
    "write it with the country code, as +55 11 98765-4321, 5511987654321 or (for a Brazilian "
    "number) 11 98765-4321; spaces, dots, dashes and parentheses are fine"
)
# What a written number may hold besides digits (a leading + and the usual separators).
_NUMBER_CHARS = re.compile(r"^\+?[\d\s().\-]+$")


def looks_like_number(text: str) -> bool:
    """Whether the text is written as a phone number (digits and separators only), valid or not."""
    return bool(_NUMBER_CHARS.match(text.strip())) and any(ch.isdigit() for ch in text)


def wa_id_of(text: str, region: str = DEFAULT_REGION, *, where: str | None = None) -> str:
    """The wa_id of a phone number however it is written; a ConfigError says what is wrong and how
    to write it.

    With a `+` the number is international. Bare digits are tried as the region's national number
    first when that reads as a valid one (`11987654321`), else as international digits with the
    country code (`5511987654321`, `14155552671`), as WhatsApp writes wa_ids. A run of 12 to 15
    digits is a wa_id already (longer than any national number) and is taken as written.
    """
    written = text.strip()
    if not looks_like_number(written):
        raise ConfigError(
            f"not a phone number: {text!r} (only digits, a leading + and separators)",
            where=where,
            fix=HOW_TO_WRITE,
        )
    if written.isdigit() and WA_ID_DIGITS[0] <= len(written) <= WA_ID_DIGITS[1]:
        return written  # the form files and WhatsApp use: no library needed to read it
    # Imported here, on the first number not already a wa_id: the library costs ~50 ms to import
    # (python -X importtime, this machine), and every command reads walab.yaml and scenarios,
    # whose numbers are wa_ids.
    import phonenumbers

    for candidate, candidate_region in _readings(written, region):
        try:
            number = phonenumbers.parse(candidate, candidate_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    digits = "".join(ch for ch in written if ch.isdigit())
    raise ConfigError(
        f"not a valid phone number: {text!r} ({len(digits)} digits): no country has such a "
        f"number, read with a country code first or as a national number of {region}",
        where=where,
        fix=HOW_TO_WRITE,
    )


def _readings(written: str, region: str) -> list[tuple[str, str | None]]:
    """How to read the text: international with a `+`; bare digits national first, then with a
    country code."""
    if written.startswith("+"):
        return [(written, None)]
    digits = "".join(ch for ch in written if ch.isdigit())
    return [(written, region), ("+" + digits, None)]


def split_name_and_number(words: list[str]) -> tuple[str, str | None]:
    """`João Silva +55 51 99999-0000` (as words) → (`João Silva`, its wa_id): the longest tail of
    words written as a number is the number (None when there is none); a ConfigError when that
    tail is not a valid number."""
    for start in range(1, len(words)):
        tail = " ".join(words[start:])
        if looks_like_number(tail):
            return " ".join(words[:start]), wa_id_of(tail)
    return " ".join(words), None
