"""`walab deploy`: push flows, prompts, fixture files and KV config to a Kestra, and say how to set secrets.

Without --kestra (and no kestra_url in the settings) the target is the embedded engine, which
every lab session deploys by itself: the command then checks that everything deploys cleanly.
Namespace sync never deletes a flow unless --delete is given (Kestra's own API deletes by default).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from lab.config import load_settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kestra", metavar="URL", help="the Kestra to deploy to (default: settings, else embedded)"
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help="also delete flows of the namespace that are not in flows/ (off by default)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be deployed, change nothing"
    )
    parser.add_argument(
        "--lead-llm",
        action="store_true",
        help="let lead_qualification ask the LLM about messages its keywords cannot place",
    )


def run(args: argparse.Namespace) -> int:
    # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
    from lab.conversation.fastimport import skip_httpx_cli

    skip_httpx_cli()

    # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
    from lab.conversation import deploy

    settings = load_settings(kestra_url=args.kestra)
    plan = deploy.plan(settings, lead_use_llm=args.lead_llm, with_secrets=False)
    target = settings.kestra_url
    if target is None or args.dry_run:
        _print_plan(target, plan, args.delete)
        if args.dry_run:
            print("dry run: nothing deployed")
            return 0
        return _embedded(plan)
    return asyncio.run(_real(settings, plan, target, args.delete))


def _print_plan(target: str | None, plan: Any, delete: bool) -> None:
    print(f"target: {target or 'embedded engine'}")
    for line in plan.lines():
        print(line)
    if delete:
        print(f"  delete flows of {plan.namespace} that are not listed above")


def _embedded(plan: Any) -> int:
    # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
    from lab.conversation import deploy
    from lab.kestra.engine.engine import Engine

    engine = Engine(secrets={})
    deploy.apply_embedded(engine, plan)
    print(
        f"ok: {len(plan.flows)} flows, {len(plan.files)} files and {len(plan.kv)} KV values deploy cleanly "
        "on the embedded engine (each lab session deploys them itself at start)"
    )
    return 0


async def _real(settings: Any, plan: Any, target: str, delete: bool) -> int:
    # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
    from lab.conversation import deploy
    from lab.kestra.client import KestraClient

    async with KestraClient(
        target, username=settings.kestra_user, password=settings.kestra_password
    ) as client:
        # Reach the server and check the credentials before saying what will be deployed.
        info = await client.detect()
        await client.check_credentials()
        _print_plan(target, plan, delete)
        await deploy.apply(client, plan, delete=delete)
    print(f"ok: deployed to Kestra {info.version or '?'} at {target}")
    if settings.public_url is None:
        print(
            "note: KV points the flows at http://127.0.0.1 — a Kestra in Docker cannot reach that; set "
            "WALAB_PUBLIC_URL (e.g. http://host.docker.internal:8765) and deploy again"
        )
    for line in deploy.secrets_guidance(plan, settings):
        print(line)
    return 0
