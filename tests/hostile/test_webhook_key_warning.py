"""`walab validate` warns when a WhatsApp flow's webhook key is short or written in the flow in
clear: no Kestra flow can check Meta's signature (kestra-io/kestra#18286), so that key is all
that keeps forged webhooks out. A warning, not an error: the exit status stays 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.cli import main

ROOT = Path(__file__).resolve().parents[2]
FLOW = """id: inbound
namespace: company.whatsapp
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.body.entry[0].changes[0].value.messages[0].text.body ?? '' }}}}"
triggers:
  - id: whatsapp
    type: io.kestra.plugin.core.trigger.Webhook
    key: {key}
"""


def _validate(tmp_path, capsys, text: str) -> tuple[int, str, str]:
    path = tmp_path / "flow.yml"
    path.write_text(text, encoding="utf-8")
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_short_key_in_clear_is_warned_about_at_its_line(tmp_path, capsys):
    code, out, err = _validate(tmp_path, capsys, FLOW.format(key="whatsapp-inbound"))
    assert code == 0 and "all valid, 1 warning(s)" in err
    assert (
        f"{tmp_path / 'flow.yml'}:10: [warning] the key of WhatsApp webhook trigger 'whatsapp' is only 16 "
        "characters, written in the flow in clear" in out
    )
    assert "kestra-io/kestra#18286" in out and "secret('WA_WEBHOOK_KEY')" in out


def test_a_long_key_written_in_the_flow_is_still_in_clear(tmp_path, capsys):
    code, out, _err = _validate(
        tmp_path, capsys, FLOW.format(key="f3a9c0d1e2b4a6c8d0e2f4a6b8c0d2e4f6a8b0c2")
    )
    assert code == 0 and "is written in the flow in clear" in out and "only" not in out


@pytest.mark.parametrize(
    "key", ["\"{{ secret('WA_WEBHOOK_KEY') }}\"", "\"{{ kv('WA_WEBHOOK_KEY') }}\""]
)
def test_a_key_from_a_secret_or_kv_is_not_warned_about(tmp_path, capsys, key):
    code, out, err = _validate(tmp_path, capsys, FLOW.format(key=key))
    assert code == 0 and out == "" and "warning" not in err


def test_a_flow_that_is_not_whatsapps_is_not_warned_about(tmp_path, capsys):
    text = (
        FLOW.format(key="abc")
        .replace("company.whatsapp", "company.team")
        .replace("{{ trigger.body.entry[0].changes[0].value.messages[0].text.body ?? '' }}", "hi")
        .replace("id: whatsapp", "id: hook")
    )
    code, out, _err = _validate(tmp_path, capsys, text)
    assert code == 0 and out == ""


def test_the_bundled_flows_are_valid_and_carry_the_lab_key_warning(capsys):
    """They keep the readable lab key the chat and scenarios post to (see flows/README.md)."""
    assert main(["validate", str(ROOT / "flows")]) == 0
    captured = capsys.readouterr()
    assert (
        "5 flow file(s) checked with the embedded engine (Kestra 1.3): all valid, 3 warning(s)"
        in captured.err
    )
    assert captured.out.count("[warning]") == 3
