"""The `walab` command line: thin and lazy. Each subcommand lives in its own module, imported
only when that subcommand runs, so `walab send` starts fast and never imports Textual.

A subcommand module exposes `configure(parser)` and `run(args) -> int` (0 ok, 1 failure,
2 usage/config error, see `exit_code`), or `run_argv(argv) -> int` to take its arguments untouched. Results go to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from lab import __version__
from lab.errors import LabError

# name -> (module, one-line help). Modules are imported lazily.
COMMANDS: dict[str, tuple[str, str]] = {
    "chat": ("lab.tui.cli", "open the chat TUI (the default)"),
    "serve": ("lab.tui.serve_cli", "publish the chat TUI in a browser (textual-serve)"),
    "sandbox": ("lab.whatsapp.cli", "run the fake WhatsApp Graph API alone, for any bot"),
    "send": ("lab.conversation.cli_send", "send one message as a WhatsApp user and print the turn"),
    "validate": (
        "lab.kestra.cli_validate",
        "validate Kestra flows (embedded engine or a real Kestra)",
    ),
    "kestra-test": (
        "lab.kestra.testsuite.cli",
        "run Kestra flow unit tests (TestSuite YAML) on the embedded engine",
    ),
    "deploy": ("lab.conversation.cli_deploy", "deploy flows, prompts and KV config to the target"),
    "record": ("lab.scenarios.cli_record", "chat in the terminal and record a scenario + cassette"),
    "import": (
        "lab.importer.cli",
        "production Kestra executions become scenarios (redacted) with a drift report",
    ),
    "review": (
        "lab.scenarios.cli_review",
        "review snapshot changes turn by turn: accept, reject or skip each",
    ),
    "replay": ("lab.scenarios.cli_replay", "replay a scenario and print its transcript"),
    "test": ("lab.scenarios.cli_test", "run the test suite (pytest over tests/ and scenarios/)"),
    "load": (
        "lab.load.cli",
        "many simulated users against the flow, with fault plans; a load report",
    ),
    "simulate": (
        "lab.simulate.cli",
        "personas chat with the agent toward a goal, judged by a rubric; pass^k, cost",
    ),
    "compare": ("lab.promptlab.cli", "run scenarios across prompt variants and models, compare"),
    "prompts": ("lab.promptlab.cli_prompts", "list prompt variants with their token counts"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="walab", description="A terminal lab for WhatsApp AI agents built as Kestra flows."
    )
    parser.add_argument("--version", action="version", version=f"walab {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _version() -> str:
    return __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `walab` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["chat", *argv]
    if argv[0] in ("-h", "--help", "--version") or argv[0] not in COMMANDS:
        _parser().parse_args(argv)  # prints help / version / usage error and exits
        return 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(COMMANDS[name][0])
    if hasattr(module, "run_argv"):  # passes its arguments through untouched (walab test -> pytest)
        return int(module.run_argv(rest) or 0)
    parser = argparse.ArgumentParser(prog=f"walab {name}", description=COMMANDS[name][1])
    module.configure(parser)
    args = parser.parse_args(rest)

    try:
        return int(module.run(args) or 0)
    except LabError as exc:
        print(f"walab {name}: {exc.render()}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours: one clear line, the traceback only on request
        if os.environ.get("WALAB_DEBUG"):
            raise
        print(f"walab {name}: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "  fix: this is a walab bug; rerun with WALAB_DEBUG=1 to see the traceback, and report it",
            file=sys.stderr,
        )
        return 1


def exit_code(exc: BaseException) -> int:
    """The exit status of an error, as the README's table says: 2 for a usage or configuration
    error, 1 for anything else that failed.

    A Kestra that cannot be reached (wrong URL, not started) or that refuses the credentials
    (KESTRA_USER / KESTRA_PASSWORD) is a setting to fix, so it exits 2 from every command
    (send, deploy, validate, replay, chat), however deep in the session it was raised.
    """
    # lazy: start-up, the entry point of every command stays small
    from lab.kestra.errors import KestraAuthError, KestraUnreachable

    if isinstance(exc, (KestraUnreachable, KestraAuthError)):
        return 2
    return int(getattr(exc, "exit_code", 1))
