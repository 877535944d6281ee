"""Known secret values masked as Kestra masks them in a flow's logs: each one becomes `******`.

Kestra's run-context logger replaces every secret the flow read, and its base64 form, by six
asterisks. The lab knows more secrets than the flow reads (its own app secret, access token,
gateway key, API password, the upstream OPENAI key, each `SECRET_*` the engine serves): each of
them, and its base64 form, is masked wherever a flow's words reach the screen or a file.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

MASK = "******"
MIN_LENGTH = 6  # shorter values would mask ordinary words


class SecretMask:
    """Replaces known secret values (and their base64) by `******`.

    Args:
        values: the secret values; None, empty and very short ones are ignored.
    """

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        known: set[str] = set()
        for value in values:
            if value and len(value) >= MIN_LENGTH:
                known.add(value)
                known.add(base64.b64encode(value.encode()).decode("ascii"))
        self.values = tuple(
            sorted(known, key=len, reverse=True)
        )  # a longer value first: no partial masks

    def __bool__(self) -> bool:
        return bool(self.values)

    def text(self, value: str) -> str:
        """The text with every known secret replaced."""
        for secret in self.values:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        """A copy of nested dicts/lists/strings with every known secret replaced (keys too)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value

    def extended(self, values: Iterable[str | None]) -> SecretMask:
        """This mask and more values."""
        return SecretMask([*self.values, *values])
