"""`walab chat` (and `walab` with no arguments): the chat TUI on the embedded defaults."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lab.config import LLM_MODES


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of `walab chat` (shared by `walab serve`)."""
    parser.add_argument("--kestra", metavar="URL", help="a real Kestra to drive (default: the embedded engine)")
    parser.add_argument("--llm", choices=LLM_MODES, help="LLM mode: live, record, replay or scripted (default from walab.yaml / env)")
    parser.add_argument("--flow", help="the agent flow id in the namespace (default: lead_qualification)")
    parser.add_argument("--namespace", help="the flows' namespace (default: company.whatsapp)")
    parser.add_argument("--contact", metavar="WA_ID", help="open this contact's thread first")
    parser.add_argument("--port", type=int, help="the lab server's loopback port (Graph API, LLM gateway)")
    parser.add_argument("--public-url", metavar="URL", help="how a real Kestra (in Docker) reaches the lab server")
    parser.add_argument("--cassette", metavar="PATH", help="LLM cassette to record to / replay from")
    parser.add_argument("--project", metavar="DIR", type=Path, help="project directory (default: the current one)")


def build_app(args: argparse.Namespace) -> Any:
    """The app for these options (the real Lab opens inside it, in a worker)."""
    from lab.config import load_settings
    from lab.tui.app import WalabApp
    from lab.tui.session import real_lab_factory

    settings = load_settings(args.project, kestra_url=args.kestra, llm_mode=args.llm, flow=args.flow,
                             namespace=args.namespace, port=args.port, public_url=args.public_url)
    options: dict[str, Any] = {"serve": bool(settings.kestra_url)}  # a real Kestra must reach our Graph API
    if args.cassette:
        options["cassette"] = Path(args.cassette)
    return WalabApp(real_lab_factory(settings, **options), settings, contact=args.contact)


def run(args: argparse.Namespace) -> int:
    """Open the TUI; returns its exit code."""
    app = build_app(args)
    result = app.run()
    return int(result or 0)
