"""Status webhook builders and per-message pricing under both regimes."""

from __future__ import annotations

import pytest

from lab.errors import ConfigError
from lab.whatsapp.errors import status_error
from lab.whatsapp.statuses import (
    FREE_SERVICE_PER_MONTH,
    REGIME_2025,
    REGIME_2026,
    Pricing,
    PricingPolicy,
    status_object,
    status_webhook,
)

from .conftest import MARIA

W = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjlCQTUwMjAwMDAwMDAwMDAwMQA="


def test_sent_with_pricing():
    s = status_object(
        W, "sent", MARIA.wa_id, "1795780800", pricing=Pricing("marketing", "regular", True)
    )
    assert s == {
        "id": W,
        "status": "sent",
        "timestamp": "1795780800",
        "recipient_id": MARIA.wa_id,
        "pricing": {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "marketing",
        },
    }


def test_read_has_no_pricing_and_failed_has_errors():
    assert "pricing" not in status_object(W, "read", MARIA.wa_id, "1")
    s = status_object(W, "failed", MARIA.wa_id, "1", errors=[status_error(131047)])
    assert s["errors"] == [
        {
            "code": 131047,
            "title": "Re-engagement message",
            "message": "Re-engagement message",
            "error_data": {
                "details": "Message failed to send because more than 24 hours have passed "
                "since the customer last replied to this number."
            },
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }
    ]
    with pytest.raises(ValueError):
        status_object(W, "seen", MARIA.wa_id, "1")


def test_played_and_opaque_callback_data():
    s = status_object(W, "played", MARIA.wa_id, "1", biz_opaque_callback_data="lead-42")
    assert s["status"] == "played" and s["biz_opaque_callback_data"] == "lead-42"


def test_envelope_contacts_only_when_given(business):
    hook = status_webhook(business, [status_object(W, "failed", MARIA.wa_id, "1")], [])
    value = hook["entry"][0]["changes"][0]["value"]
    assert "contacts" not in value and value["statuses"][0]["status"] == "failed"
    hook = status_webhook(
        business, [status_object(W, "sent", MARIA.wa_id, "1")], [(MARIA.wa_id, MARIA.name)]
    )
    value = hook["entry"][0]["changes"][0]["value"]
    assert value["contacts"][0]["profile"] == {"name": "Maria Souza"} and value["contacts"][0][
        "user_id"
    ].startswith("BR.")
    assert (
        hook["entry"][0]["id"] == business.waba_id
        and hook["entry"][0]["changes"][0]["field"] == "messages"
    )


@pytest.mark.parametrize(
    "category,window,entry,expected",
    [
        ("service", True, False, Pricing("service", "free_customer_service", False)),
        ("utility", True, False, Pricing("utility", "free_customer_service", False)),
        ("utility", False, False, Pricing("utility", "regular", True)),
        ("marketing", True, False, Pricing("marketing", "regular", True)),
        ("authentication", False, False, Pricing("authentication", "regular", True)),
        ("marketing", True, True, Pricing("marketing", "free_entry_point", False)),
    ],
)
def test_pricing_2025(category, window, entry, expected):
    assert (
        PricingPolicy(REGIME_2025).price(category, window_open=window, entry_point=entry)
        == expected
    )


def test_pricing_2026_bills_service_after_free_tier_and_utility_in_window():
    policy = PricingPolicy(REGIME_2026)
    first = [
        policy.price("service", window_open=True, month="2026-11")
        for _ in range(FREE_SERVICE_PER_MONTH)
    ]
    assert {p.billable for p in first} == {False}
    assert policy.price("service", window_open=True, month="2026-11") == Pricing(
        "service", "regular", True
    )
    assert policy.price("service", window_open=True, month="2026-12").billable is False  # new month
    assert policy.price("utility", window_open=True) == Pricing("utility", "regular", True)


def test_unknown_regime_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown pricing regime"):
        PricingPolicy("cbp")
