"""`walab send --script FILE`: scripted model replies from a file, in the scenario format (QA P2-8)."""

from __future__ import annotations

from pathlib import Path

from .test_cli import walab


def test_send_answers_the_model_from_a_script_file(tmp_path: Path) -> None:
    script = tmp_path / "replies.yaml"
    script.write_text('- {match: ".*", json: {text: "Olá do script"}}\n', encoding="utf-8")
    done = walab("send", "--flow", "whatsapp_agent", "--script", str(script), "Oi")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LLM scripted" in done.stdout and "< Olá do script" in done.stdout


def test_send_script_conflicts_and_missing_files_are_usage_errors(tmp_path: Path) -> None:
    script = tmp_path / "replies.yaml"
    script.write_text("- Olá\n", encoding="utf-8")
    clash = walab("send", "--llm", "live", "--script", str(script), "Oi")
    assert clash.returncode == 2 and "--script implies --llm scripted" in clash.stderr
    missing = walab("send", "--script", str(tmp_path / "none.yaml"), "Oi")
    assert missing.returncode == 2 and "no scripted-replies file" in missing.stderr


def test_the_hints_suggest_a_script_file_and_help_says_what_scripted_is(tmp_path: Path) -> None:
    miss = walab("send", "--flow", "whatsapp_agent", "--cassette", str(tmp_path / "empty.cassette.yaml"), "Oi")
    assert "--script FILE" in miss.stdout and "`llm: scripted:`" in miss.stdout
    bare = walab("send", "--flow", "whatsapp_agent", "--llm", "scripted", "Oi")
    assert bare.returncode == 1 and "give replies with --script FILE" in bare.stdout
    helped = walab("send", "--help")
    assert "--script FILE" in helped.stdout and "scripted answers from --script FILE" in " ".join(helped.stdout.split())
