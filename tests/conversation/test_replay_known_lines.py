"""A model flow chatted in replay mode with no key: the first miss says at once which lines the
cassettes know, and that --script FILE or a key answers the others (issue 15)."""

from __future__ import annotations

from lab.conversation.actions import SendText
from lab.tui.turn_problems import model_call_failure

from .conftest import MARIA, ROOT
from .test_cli import walab


def test_send_lists_the_recorded_lines_and_offers_a_script_or_a_key() -> None:
    done = walab("send", "--flow", "whatsapp_agent", "Oi, quero economizar")
    assert done.returncode == 1, done.stdout + done.stderr
    hint = next(line for line in done.stdout.splitlines() if line.startswith("hint: "))
    assert hint.startswith("hint: no model answered: replay answers only the lines recorded")
    assert "'Oi'" in hint and "--script FILE" in hint and "OPENAI_API_KEY" in hint
    assert "Searched:" not in hint  # the cassette paths stay on the LLM line


def test_send_to_the_faq_flow_lists_its_own_recorded_questions() -> None:
    done = walab("send", "--flow", "faq_energy_assistant", "Oi")
    hint = next(line for line in done.stdout.splitlines() if line.startswith("hint: "))
    assert "'Quanto tempo leva a instalação?'" in hint and "'E a garantia das placas?'" in hint


async def test_the_chat_error_panel_says_it_from_the_core_error(open_lab) -> None:
    """The TUI's panel shows the gateway's explanation as its fix: the lines and the way out."""
    async with open_lab(flow="whatsapp_agent") as lab:
        turn = await lab.perform(MARIA, SendText("Oi, quero economizar"))
        error = model_call_failure(turn)
        assert error is not None
        assert "Replay answers only the lines recorded in the cassettes" in error.fix
        assert "'Oi'" in error.fix and "--script FILE" in error.fix
        assert "OPENAI_API_KEY" in error.fix


def test_the_readme_says_replay_knows_only_the_recorded_lines() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "replay mode, which answers only the lines recorded in the cassettes: `Oi`" in readme
    assert "(`--script FILE`) or set `OPENAI_API_KEY`" in readme
