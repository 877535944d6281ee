"""`walab send "TEXT"`: one message as a WhatsApp user, and the turn it caused, printed.

Sends as the default contact to the default flow (lead_qualification, which needs no LLM key) on
the default target (the embedded engine), then prints the replies as the phone shows them, the
execution's tasks and state, tokens and cost. `--json` prints the turn as JSON instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from lab import asyncrun
from lab.config import add_kestra_version_option, load_settings
from lab.conversation.llm_options import add_llm_options, llm_mode
from lab.conversation.session import LabSession
from lab.errors import ConfigError
from lab.llm.misses import chat_advice


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", help="what the user types (the caption, with --image)")
    parser.add_argument(
        "--contact", help="wa_id or name of the contact (default: the first configured contact)"
    )
    parser.add_argument(
        "--flow", help="flow id in the namespace (default: settings.flow, lead_qualification)"
    )
    parser.add_argument(
        "--kestra",
        metavar="URL",
        help="a real Kestra to send to (default: the embedded engine); the project's flows, prompts "
        "and KV config are deployed to its namespace first, as `walab deploy` does",
    )
    add_kestra_version_option(parser)
    parser.add_argument(
        "--no-deploy",
        action="store_true",
        help="with --kestra: send to what that Kestra already holds (flows, files and KV deployed "
        "earlier with `walab deploy`), changing nothing there",
    )
    add_llm_options(parser)
    parser.add_argument(
        "--image", metavar="PATH", help="send this photo (TEXT becomes its caption)"
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="listen on the lab port while sending (needed when a real Kestra calls the lab back)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds before the turn counts as hung"
    )
    parser.add_argument("--json", action="store_true", help="print the turn as JSON")


def run(args: argparse.Namespace) -> int:
    # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
    from lab.conversation.fastimport import skip_httpx_cli

    skip_httpx_cli()

    if not args.text.strip() and not args.image:  # exit 2, as for any usage error
        raise ConfigError(
            "TEXT is empty: WhatsApp does not send an empty message",
            fix='give the text the user types, e.g. walab send "Oi" (or a photo with --image PATH)',
        )
    if args.image:
        _check_image(args.image)
    llm = llm_mode(args)  # --script with another --llm is said first
    if args.no_deploy and not args.kestra:
        raise ConfigError(
            "--no-deploy keeps a real Kestra's flows as they are, and no --kestra URL is given",
            fix="add --kestra URL, or drop --no-deploy (the embedded engine always runs flows/)",
        )
    settings = load_settings(
        llm_mode=llm,
        kestra_url=args.kestra,
        flow=args.flow,
        kestra_version=args.kestra_version,
    )
    return asyncrun.run(_send(settings, args))


def _check_image(path: str) -> None:
    """A missing or unreadable `--image` is a usage error (exit 2), said before the lab starts."""

    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(
            f"--image {path}: no such file"
            if not file.exists()
            else f"--image {path} is not a file",
            where=str(file.resolve()),
            fix="give the path of a photo (JPEG or PNG), e.g. --image files/conta.jpg",
        )


async def _reachable(url: str) -> None:
    """Raise KestraUnreachable when nothing answers at `url` (its open `/api/v1/configs`)."""
    # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
    from lab.kestra.client import KestraClient

    async with KestraClient(url) as client:
        await client.detect()


async def _send(settings: Any, args: argparse.Namespace) -> int:
    # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
    from lab.conversation.lab import Lab
    from lab.conversation.render import turn_text
    from lab.request_guard import is_loopback

    cassette = Path(args.cassette) if args.cassette else None
    scripted = None
    if args.script:
        # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
        from lab.llm.scripted import load_script

        scripted = load_script(args.script)
    serve = bool(
        args.serve or settings.kestra_url
    )  # a real Kestra calls the Graph API and the gateway back
    deploy = not getattr(args, "no_deploy", False)
    if (
        settings.kestra_url and deploy
    ):  # a real Kestra gets the project first, as `walab deploy` pushes it: say so
        await _reachable(
            settings.kestra_url
        )  # an unreachable one is said first, with no deploy notice before it
        print(deploy_notice(settings), file=sys.stderr, flush=True)
    fixtures = None
    if getattr(args, "fixtures", None):
        # lazy: start-up, after skip_httpx_cli() and only on the path that needs it
        from lab.kestra.engine.fixtures import load_fixtures

        fixtures = load_fixtures(args.fixtures)
    async with Lab.open(
        settings,
        serve=serve,
        cassette=cassette,
        scripted=scripted,
        turn_timeout=args.timeout,
        deploy=deploy,
        fixtures=fixtures,
    ) as lab:
        if (
            lab.access and args.serve and is_loopback(settings.host)
        ):  # (beyond loopback the lab said it already)
            print("\n".join(lab.access), file=sys.stderr, flush=True)
        wa_id = _contact(lab, args.contact)
        if args.image:
            turn = await lab.send_media(wa_id, "image", args.image, caption=args.text or None)
        else:
            turn = await lab.send_text(wa_id, args.text)
        hint = _no_model_hint(lab, turn)
        recorded = recording_notice(lab, turn) if lab.llm_mode == "record" else None
        if args.json:
            data = turn.to_dict()
            if hint:
                data["hint"] = hint
            if recorded:
                data["recorded"] = recorded
            text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        else:
            name = next((c.name for c in lab.contacts if c.wa_id == wa_id), wa_id)
            header = f"{name} ({wa_id}) → {lab.flow} on {lab.describe_target()}, LLM {lab.llm_mode}"
            clock = "virtual" if lab.engine is not None else "Kestra"
            text = (
                header
                + "\n\n"
                + turn_text(turn, engine_clock=clock)
                + (f"\nhint: {hint}" if hint else "")
            )
    if recorded:  # on stderr: stdout stays the turn (or its JSON) alone
        print(f"walab send: {recorded}", file=sys.stderr, flush=True)
    for secret in settings.secret_values():
        text = text.replace(secret, "***")
    try:
        print(text, flush=True)
    except BrokenPipeError:  # `walab send ... | head`: the reader left, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0 if turn.verdict == "ok" else 1


def deploy_notice(settings: Any) -> str:
    """What sending to a real Kestra changes there before the message goes out."""
    return (
        f"walab send: deploying {settings.flows_dir}/ (flows, namespace files, prompts) and the KV config to "
        f"namespace {settings.namespace} on {settings.kestra_url}, as `walab deploy` does: flows there with the "
        "same ids are replaced, nothing is deleted (--no-deploy sends to what is there)"
    )


def recording_notice(lab: LabSession, turn: Any) -> str:
    """Where `--llm record` wrote the turn's LLM calls (the cassette `--cassette` named, else the
    default one under scenarios/), and how to replay them."""
    path = lab.gateway.cassettes.record_to
    shown = _relative(path)
    kept = [c for c in turn.llm_calls if c.mode == "record" and c.cassette_key and not c.error]
    if not kept:
        return f"nothing recorded: no LLM call of this turn was answered (the cassette would be {shown})"
    return (
        f"recorded {len(kept)} LLM call(s) into {shown}; replay them with "
        f"`walab send --llm replay --cassette {shown} ...`"
    )


def _relative(path: Any) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _contact(lab: LabSession, who: str | None) -> str:
    contacts = lab.contacts
    if who is None:
        return contacts[0].wa_id
    for c in contacts:
        if who in (c.wa_id, c.name):
            return c.wa_id
    if who.isdigit():
        return who
    raise ConfigError(
        f"no contact {who!r}",
        fix="use a wa_id (digits) or one of: "
        + ", ".join(f"{c.name} ({c.wa_id})" for c in contacts),
    )


def _no_model_hint(lab: LabSession, turn: Any) -> str | None:
    """Why no model answered, in terms of what to do about it."""
    failed = [c for c in turn.llm_calls if c.error]
    if not failed or any(not c.error for c in turn.llm_calls):
        return None
    mode = lab.llm_mode
    if mode == "replay":
        advice = chat_advice(failed[0].error)
        if advice:
            return f"no model answered: {advice[0].lower()}{advice[1:]}"
        return (
            "no model answered: the LLM gateway is in replay mode and no cassette holds this request; "
            "run with --llm live (OPENAI_API_KEY set), --llm record --cassette FILE to record one, or "
            "--script FILE to answer from scripted replies (the format of a scenario's `llm: scripted:`)"
        )
    if mode in ("live", "record"):
        upstream = lab.gateway.upstream.url
        keyless = not lab.settings.llm_upstream_key
        if all(c.status == 401 for c in failed):
            if keyless:
                return (
                    f"no model answered: the upstream at {upstream} wants an API key and OPENAI_API_KEY is not "
                    "set; set it to a key of that server (for a LiteLLM proxy, its master key or a virtual key)"
                )
            return (
                f"the upstream refused the API key (401): fix OPENAI_API_KEY (or OPENAI_BASE_URL) and run "
                f"again; the {len(failed)} attempt(s) are the flow's `retry:` (Kestra retries a failed task "
                "whatever the error), and only the first one reached the upstream"
            )
        if all(c.status == 502 for c in failed):
            return (
                f"no model answered: could not reach the upstream at {upstream}; start it, or point "
                "OPENAI_BASE_URL at a running OpenAI-compatible server"
                + (
                    " (OPENAI_API_KEY is not set either: set it if that server wants a key)"
                    if keyless
                    else ""
                )
            )
        if keyless and all(c.status == 503 for c in failed):  # OpenAI itself, and no key to send
            return f"no model answered: {mode} mode forwards to {upstream} and OPENAI_API_KEY is not set; set it"
    if mode == "scripted":
        return (
            "no model answered: scripted mode has no reply for this call; give replies with --script FILE "
            "(a YAML list as under a scenario's `llm: scripted:`, e.g. `- {match: '.*', reply: Olá}`)"
        )
    return f"the model call failed: {failed[0].error}"


if __name__ == "__main__":  # pragma: no cover
    from lab.cli import main

    sys.exit(main(["send", *sys.argv[1:]]))
