"""`walab serve`: the same chat TUI in a browser, through textual-serve (the `serve` extra)."""

from __future__ import annotations

import argparse
import shlex
import sys

from lab.errors import ConfigError
from lab.tui import cli as chat_cli


def configure(parser: argparse.ArgumentParser) -> None:
    chat_cli.configure(parser)
    parser.add_argument(
        "--serve-host",
        default="127.0.0.1",
        help="where the browser page listens (default loopback)",
    )
    parser.add_argument(
        "--serve-port", type=int, default=8000, help="the browser page's port (default 8000)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        # lazy: start-up, a command loads this only on the path that needs it
        from textual_serve.server import Server
    except ImportError:
        raise ConfigError(
            "`walab serve` needs the serve extra (textual-serve)",
            fix="run ./walab serve (it installs it), or pip install 'walab[serve]'",
        ) from None
    argv = [sys.executable, "-m", "lab", "chat"]
    for name in (
        "kestra",
        "llm",
        "flow",
        "namespace",
        "contact",
        "port",
        "public_url",
        "cassette",
        "project",
    ):
        value = getattr(args, name, None)
        if value is not None:
            argv += [f"--{name.replace('_', '-')}", str(value)]
    command = " ".join(shlex.quote(a) for a in argv)
    print(
        f"walab serve: http://{args.serve_host}:{args.serve_port}  (each browser tab runs: {command})",
        file=sys.stderr,
    )
    Server(command, host=args.serve_host, port=args.serve_port, title="walab").serve()
    return 0
