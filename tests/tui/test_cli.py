"""`walab chat` / `walab serve` options, without opening a terminal."""

from __future__ import annotations

import argparse
import subprocess
import sys

from lab.tui import cli, serve_cli


def test_chat_options_build_the_app_without_opening_the_lab(tmp_path):
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(["--project", str(tmp_path), "--llm", "scripted", "--flow", "whatsapp_agent",
                              "--contact", "5521998765432", "--port", "0"])
    app = cli.build_app(args)
    assert app.settings.llm_mode == "scripted" and app.settings.flow == "whatsapp_agent"
    assert app.initial_contact == "5521998765432" and app.lab is None


def test_serve_accepts_the_chat_options_and_its_own():
    parser = argparse.ArgumentParser()
    serve_cli.configure(parser)
    args = parser.parse_args(["--serve-port", "8100", "--llm", "replay"])
    assert args.serve_port == 8100 and args.llm == "replay"


def test_bad_llm_mode_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "lab", "chat", "--llm", "bogus"], capture_output=True, text=True)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr and "Traceback" not in proc.stderr
