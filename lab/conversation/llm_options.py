"""The command-line options that choose what stands in for the model and for Kestra's plugin tasks
(`--llm`, `--cassette`, `--script`, `--fixtures`), shared by `walab send` and `walab chat`, and the
LLM mode they amount to."""

from __future__ import annotations

import argparse

from lab.config import LLM_MODES
from lab.errors import ConfigError


def add_llm_options(parser: argparse.ArgumentParser) -> None:
    """Add `--llm`, `--cassette`, `--script` and `--fixtures` to a command."""
    parser.add_argument(
        "--llm",
        choices=LLM_MODES,
        help="LLM gateway mode: live / record call OPENAI_BASE_URL with OPENAI_API_KEY, replay answers "
        "from a cassette, scripted answers from --script FILE (no model at all); default from "
        "walab.yaml / env",
    )
    parser.add_argument(
        "--cassette", metavar="PATH", help="LLM cassette to replay from or record into"
    )
    parser.add_argument(
        "--script",
        metavar="FILE",
        help="scripted LLM replies (implies --llm scripted): a YAML list as under a scenario's "
        "`llm: scripted:`, e.g. `- {match: '(?i)preço', reply: 'R$ 99'}`, or a scenario file",
    )
    parser.add_argument(
        "--fixtures",
        metavar="FILE",
        help="Kestra task fixtures for the embedded engine (tasks: [{id, outputs, state}], inputs, "
        "trigger): the real plugin tasks they name are stood in for, not run",
    )


def llm_mode(args: argparse.Namespace) -> str | None:
    """The LLM mode the options ask for (`--script` implies scripted; None: the settings' own); a
    ConfigError (exit 2) when `--script` comes with another `--llm`."""
    script = getattr(args, "script", None)
    if script and args.llm not in (None, "scripted"):
        raise ConfigError(
            f"--script gives scripted replies, but --llm is {args.llm}",
            fix="drop --llm (--script implies --llm scripted), or drop --script",
        )
    return "scripted" if script else args.llm
