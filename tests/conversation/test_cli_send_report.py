"""What `walab send` and `walab deploy` say when something is missing: empty text, no model, no Kestra."""

from __future__ import annotations

from lab.conversation.render import turn_text

from .conftest import MARIA
from .test_cli import walab


def test_an_empty_message_is_a_usage_error():
    for text in ("", "   "):
        done = walab("send", text)
        assert done.returncode == 2, done.stdout
        assert "TEXT is empty" in done.stderr and 'walab send "Oi"' in done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""


async def test_calls_refused_for_want_of_a_key_are_counted():
    """Live mode, OpenAI's URL and no key: the gateway refuses each attempt (no network), and meters each."""
    from lab.conversation.lab import Lab

    from .conftest import CLOCK, settings

    s = settings(
        flow="whatsapp_agent", llm_mode="live", llm_upstream_url="https://api.openai.com/v1"
    )
    async with Lab.open(s, clock_start=CLOCK) as lab:
        turn = await lab.send_text(MARIA, "Oi")
    assert len(turn.llm_calls) >= 2 and all(
        c.status == 503 and "OPENAI_API_KEY" in c.error for c in turn.llm_calls
    )
    text = turn_text(turn)
    assert (
        f"LLM: {len(turn.llm_calls)} call(s), all failed: gpt-4o-mini [live] live mode forwards to"
        in text
    )
    assert "LLM: no calls" not in text and "0 in / 0 out" not in text


def test_send_labels_virtual_and_wall_clock_times():
    done = walab(
        "send",
        "--flow",
        "whatsapp_agent",
        "--llm",
        "record",
        "Oi",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
    )
    assert done.returncode == 1
    out = done.stdout
    execution = next(
        line for line in out.splitlines() if line.startswith("execution whatsapp_agent")
    )
    assert execution.endswith(" ms (virtual clock)") and "FAILED" in execution
    assert "timings (wall clock): ack" in out
    assert (
        "LLM: 3 call(s), all failed: gpt-4o-mini [record] could not reach the upstream LLM" in out
    )


def test_deploy_to_an_unreachable_kestra_fails_before_the_plan():
    done = walab("deploy", "--kestra", "http://127.0.0.1:9")
    assert done.returncode == 2 and "cannot reach Kestra" in done.stderr
    assert "flow   whatsapp_agent" not in done.stdout and "target:" not in done.stdout
    dry = walab(
        "deploy", "--dry-run", "--kestra", "http://127.0.0.1:9"
    )  # a dry run needs no server
    assert dry.returncode == 0 and "flow   whatsapp_agent" in dry.stdout
