"""Identifiers shaped like Meta's: wamids, 15-digit account ids, media ids, fbtrace ids, BSUIDs.

Every generator is deterministic (a counter and a seed), so a replayed run produces the same ids.
Meta treats wamids as opaque; we reproduce their shape only so payloads look real.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools

_URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Calling code -> ISO country, for the country prefix of business-scoped user ids.
_COUNTRIES = (
    ("55", "BR"),
    ("1", "US"),
    ("351", "PT"),
    ("972", "IL"),
    ("44", "GB"),
    ("52", "MX"),
    ("54", "AR"),
    ("57", "CO"),
    ("34", "ES"),
    ("91", "IN"),
    ("49", "DE"),
    ("33", "FR"),
)


def wamid(phone: str, hex_id: str, *, inbound: bool) -> str:
    """A wamid in Meta's shape: base64 of the user's digits, direction byte and a hex id."""
    digits = phone.encode()
    tag = b"\x12" if inbound else b"\x11"
    raw = (
        b"\x1c\x18"
        + bytes([len(digits)])
        + digits
        + b"\x15\x02\x00"
        + tag
        + b"\x18"
        + bytes([len(hex_id)])
        + hex_id.encode()
        + b"\x00"
    )
    return "wamid." + base64.b64encode(raw).decode()


class IdFactory:
    """Deterministic ids for one sandbox or phone: same seed, same sequence."""

    def __init__(self, seed: str = "walab") -> None:
        digest = hashlib.sha256(seed.encode()).hexdigest().upper()
        self._prefix_in = digest[:8]
        self._prefix_out = digest[8:14]
        self._media_base = int(digest[14:22], 16) % 10**6
        self._trace_prefix = digest[22:32]
        self._counter = itertools.count(1)

    def inbound_wamid(self, phone: str) -> str:
        """A wamid for a message the user sends (20 hex chars)."""
        return wamid(phone, f"{self._prefix_in}{next(self._counter):012X}", inbound=True)

    def outbound_wamid(self, phone: str) -> str:
        """A wamid for a message the business sends (18 hex chars)."""
        return wamid(phone, f"{self._prefix_out}{next(self._counter):012X}", inbound=False)

    def media_id(self) -> str:
        """A 16-digit media id."""
        return f"{1000000000 + self._media_base}{next(self._counter):06d}"

    def fbtrace_id(self) -> str:
        """`A` + 22 url-safe characters, as in Graph API error envelopes."""
        digest = hashlib.blake2b(
            f"{self._trace_prefix}{next(self._counter)}".encode(), digest_size=16
        ).digest()
        return "A" + base64.urlsafe_b64encode(digest).decode()[:22]

    def conversation_id(self) -> str:
        """A 32-hex conversation id (only carried inside a Free Entry Point window)."""
        return hashlib.md5(f"{self._prefix_out}{next(self._counter)}".encode()).hexdigest()  # noqa: S324 - an id, not security


_LONGEST_CODE_FIRST = tuple(sorted(_COUNTRIES, key=lambda c: -len(c[0])))


def country_of(wa_id: str) -> str:
    """ISO country of a phone number, by calling code (US when unknown)."""
    for code, iso in _LONGEST_CODE_FIRST:
        if wa_id.startswith(code):
            return iso
    return "US"


@functools.lru_cache(
    maxsize=4096
)  # every message and status names its user: one hash per user, not per event
def bsuid(wa_id: str, waba_id: str) -> str:
    """The business-scoped user id Meta gives this user for this business, e.g. `BR.1349120865530274191`."""
    n = int(hashlib.sha256(f"{waba_id}:{wa_id}".encode()).hexdigest()[:16], 16)
    return f"{country_of(wa_id)}.{n}"


def sha256_b64(data: bytes) -> str:
    """Media hash as webhooks carry it: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()
