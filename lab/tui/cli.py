"""`walab chat` (and `walab` with no arguments): the chat TUI on the embedded defaults."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lab.config import add_kestra_version_option, load_settings
from lab.conversation.llm_options import add_llm_options, llm_mode
from lab.errors import ConfigError


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of `walab chat` (shared by `walab serve`)."""
    parser.add_argument(
        "--kestra", metavar="URL", help="a real Kestra to drive (default: the embedded engine)"
    )
    add_kestra_version_option(parser)
    add_llm_options(parser)
    parser.add_argument(
        "--flow", help="the agent flow id in the namespace (default: lead_qualification)"
    )
    parser.add_argument("--namespace", help="the flows' namespace (default: company.whatsapp)")
    parser.add_argument("--contact", metavar="WA_ID", help="open this contact's thread first")
    parser.add_argument(
        "--port", type=int, help="the lab server's loopback port (Graph API, LLM gateway)"
    )
    parser.add_argument(
        "--public-url", metavar="URL", help="how a real Kestra (in Docker) reaches the lab server"
    )
    parser.add_argument(
        "--project", metavar="DIR", type=Path, help="project directory (default: the current one)"
    )


def build_app(args: argparse.Namespace) -> Any:
    """The app for these options (the real Lab opens inside it, in a worker)."""
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.tui.app import WalabApp

    settings, factory = lab_factory(args)
    return WalabApp(factory, settings, contact=args.contact)


def lab_factory(args: argparse.Namespace) -> tuple[Any, Any]:
    """(settings, factory opening the session) for these options; a bad --script fails here, before the app."""
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.tui.session import real_lab_factory

    script = getattr(args, "script", None)
    settings = load_settings(
        args.project,
        kestra_url=args.kestra,
        llm_mode=llm_mode(args),
        flow=args.flow,
        namespace=args.namespace,
        port=args.port,
        public_url=args.public_url,
        kestra_version=getattr(args, "kestra_version", None),
    )
    if args.flow and not settings.kestra_url:
        _check_flow(settings)  # a wrong --flow is a usage error (exit 2), said before the TUI opens
    options: dict[str, Any] = {
        "serve": bool(settings.kestra_url)
    }  # a real Kestra must reach our Graph API
    if args.cassette:
        options["cassette"] = Path(args.cassette)
    if getattr(args, "fixtures", None):
        # lazy: start-up, a command loads this only on the path that needs it
        from lab.kestra.engine.fixtures import load_fixtures

        options["fixtures"] = load_fixtures(
            args.fixtures
        )  # a malformed file is reported now, before the app
    if not script:
        return settings, real_lab_factory(settings, **options)
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.llm.scripted import load_script

    load_script(script)  # a missing or malformed file is reported now, with its fix

    def factory() -> Any:  # each session (a reconnect too) starts the script from its first reply
        # lazy: start-up, a command loads this only on the path that needs it
        from lab.conversation.lab import Lab

        return Lab.open(settings, scripted=load_script(script), **options)

    return settings, factory


def _check_flow(settings: Any) -> None:
    """Raise ConfigError when the project's flows/ has no flow `settings.flow` in its namespace."""
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.conversation.deploy import flow_sources

    if not settings.flows_dir.is_dir():
        return  # no flows/ at all: the session says so when it opens
    flows = [f.id for f in flow_sources(settings.flows_dir, settings.namespace)]
    if settings.flow not in flows:
        raise ConfigError(
            f"no flow {settings.flow!r} in namespace {settings.namespace}",
            where=str(settings.flows_dir),
            fix=f"use --flow with one of: {', '.join(flows) or 'none (add a flow to flows/)'}",
        )


def run(args: argparse.Namespace) -> int:
    """Open the TUI; returns its exit code."""
    app = build_app(args)
    result = app.run()
    return int(result or 0)
