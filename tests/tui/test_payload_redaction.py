"""The Payloads tab redacts personal data when walab.yaml asks (`redaction: {payloads: true}`);
by default it shows what the flow sent, as sent."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from lab.conversation.model import InboundEvent, Turn
from lab.errors import ConfigError
from lab.redaction import Redactor, policy_of
from lab.tui.widgets.payload_view import payload_renderable

SAID = "Sou a Joana Araújo, CPF 529.982.247-25, celular (41) 99876-5432"


def _turn() -> Turn:
    body = {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "contacts": [
                                {"wa_id": "5541998765432", "profile": {"name": "Joana Araújo"}}
                            ],
                            "messages": [
                                {"from": "5541998765432", "type": "text", "text": {"body": SAID}}
                            ],
                        }
                    }
                ]
            }
        ]
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    return Turn(
        1, "5541998765432", InboundEvent("5541998765432", "text", SAID, body, raw, None, 0.0)
    )


def _shown(redactor: Redactor | None) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(
        payload_renderable(_turn(), None, redactor)
    )
    return out.getvalue()


def test_payloads_are_redacted_only_when_the_setting_asks() -> None:
    assert "529.982.247-25" in _shown(None) and not policy_of(None).payloads
    policy = policy_of({"payloads": True})
    shown = _shown(Redactor(policy))
    assert policy.payloads
    assert not [
        v for v in ("529.982.247-25", "Joana Araújo", "5541998765432", "99876-5432") if v in shown
    ]
    with pytest.raises(ConfigError, match="payloads must be true or false"):
        policy_of({"payloads": "yes"})
