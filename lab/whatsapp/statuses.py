"""Status webhooks (sent, delivered, read, played, failed) and per-message pricing (PMP).

Reference §1.3 and §7: `pricing` rides on `sent` and on `delivered` (never also on `read`);
`errors[]` only on `failed`; failed statuses carry no `contacts[]`; v24+ omit `conversation`
outside a Free Entry Point window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from lab.config import Business
from lab.errors import ConfigError
from lab.whatsapp.ids import bsuid

STATUSES = ("sent", "delivered", "read", "played", "failed")

# The pricing regime is a setting: Meta's per-message pricing since 2025-07-01, and the card
# reported for 2026-10-01 where service messages and utility templates in the window are billed
# (first 1,000 service messages per number and month free).
REGIME_2025 = "pmp-2025-07"
REGIME_2026 = "pmp-2026-10"
REGIMES = (REGIME_2025, REGIME_2026)
FREE_SERVICE_PER_MONTH = 1000


@dataclass(frozen=True, slots=True)
class Pricing:
    """The `pricing` object of a status: category, type and whether it is billable."""

    category: str
    type: str
    billable: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "billable": self.billable,
            "pricing_model": "PMP",
            "type": self.type,
            "category": self.category,
        }

    def shared_dict(self) -> dict[str, Any]:
        """as_dict(), built once per distinct pricing: status batches serialise it read-only."""
        d = _DICTS.get(self)
        if d is None:
            d = _DICTS[self] = self.as_dict()
        return d


_DICTS: dict[Pricing, dict[str, Any]] = {}


@dataclass
class PricingPolicy:
    """Decides category and billing of each delivered message under a pricing regime."""

    regime: str = REGIME_2025
    _service_count: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise ConfigError(
                f"unknown pricing regime {self.regime!r}", fix=f"use one of {', '.join(REGIMES)}"
            )

    def price(
        self, category: str, *, window_open: bool, entry_point: bool = False, month: str = ""
    ) -> Pricing:
        """Pricing of one message: `category` is service for free-form, else the template's category."""
        if entry_point:
            return _pricing(category, "free_entry_point", False)
        if category == "service":
            if self.regime == REGIME_2026:
                n = self._service_count[month] = self._service_count.get(month, 0) + 1
                if n > FREE_SERVICE_PER_MONTH:
                    return _pricing("service", "regular", True)
            return FREE_SERVICE
        if category == "utility" and window_open and self.regime == REGIME_2025:
            return _pricing("utility", "free_customer_service", False)
        return _pricing(category, "regular", True)


_PRICINGS: dict[tuple[str, str, bool], Pricing] = {}


def _pricing(category: str, type_: str, billable: bool) -> Pricing:
    """Pricing objects are immutable and few: share them."""
    key = (category, type_, billable)
    p = _PRICINGS.get(key)
    if p is None:
        p = _PRICINGS[key] = Pricing(category, type_, billable)
    return p


FREE_SERVICE = _pricing("service", "free_customer_service", False)


def status_object(
    wamid: str,
    status: str,
    recipient_id: str,
    timestamp: str,
    *,
    pricing: Pricing | None = None,
    errors: list[dict[str, Any]] | None = None,
    biz_opaque_callback_data: str | None = None,
    conversation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One entry of `statuses[]`."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    obj: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": timestamp,
        "recipient_id": recipient_id,
    }
    if biz_opaque_callback_data is not None:
        obj["biz_opaque_callback_data"] = biz_opaque_callback_data
    if conversation is not None:
        obj["conversation"] = conversation
    if pricing is not None:
        obj["pricing"] = pricing.shared_dict()
    if errors:
        obj["errors"] = errors
    return obj


def status_webhook(
    business: Business,
    statuses: Iterable[dict[str, Any]],
    contacts: Iterable[tuple[str, str | None]] = (),
    *,
    with_user_ids: bool = True,
) -> dict[str, Any]:
    """A status webhook envelope; contacts are (wa_id, profile name) of the non-failed recipients."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": business.display_phone_number,
            "phone_number_id": business.phone_number_id,
        },
    }
    entries = []
    for wa_id, name in contacts:
        c: dict[str, Any] = {"profile": {"name": name or ""}, "wa_id": wa_id}
        if with_user_ids:
            c["user_id"] = bsuid(wa_id, business.waba_id)
        entries.append(c)
    if entries:
        value["contacts"] = entries
    value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": business.waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }
