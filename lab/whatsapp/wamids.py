"""Reading back the wamids the lab generates (Meta's own are opaque; ours follow their shape)."""

from __future__ import annotations

import base64
import binascii


def decode(wamid: str) -> tuple[str, bool] | None:
    """(user phone digits, inbound?) of a wamid in Meta's shape, or None if it is not one."""
    if not wamid.startswith("wamid."):
        return None
    try:
        raw = base64.b64decode(wamid[6:], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 8 or raw[:2] != b"\x1c\x18":
        return None
    n = raw[2]
    phone = raw[3 : 3 + n]
    rest = raw[3 + n :]
    if (
        not phone.isdigit()
        or len(rest) < 4
        or rest[:3] != b"\x15\x02\x00"
        or rest[3] not in (0x11, 0x12)
    ):
        return None
    return phone.decode(), rest[3] == 0x12
