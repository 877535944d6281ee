"""`walab record NAME`: chat with the agent in a plain terminal and record a scenario + cassette.

Type a message and press Enter to send it as the contact. Commands start with `/`:
/tap TITLE, /advance 25h, /contact NAME, /location LAT LON [NAME], /media PATH [CAPTION],
/react EMOJI, /read, /help, /quit (or Ctrl-D). Every finished turn is on disk at once.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lab.errors import ConfigError, LabError

HELP = __doc__.split("\n\n", 1)[1]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="scenario name, a slug such as greeting_plans (the file is <dir>/<name>.yaml)")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: scenarios/<flow>/)")
    parser.add_argument("--flow", default=None, help="namespace/id of the flow (default: the configured flow)")
    parser.add_argument("--llm", default="record", choices=("record", "live"),
                        help="record (live upstream + cassette, the default) or live (no cassette)")
    parser.add_argument("--target", default=None, metavar="URL", help="a real Kestra (default: the embedded engine)")
    parser.add_argument("--clock", default=None, help="start of the virtual clock, ISO-8601 (default: now)")
    parser.add_argument("--note", default=None, help="a note stored with the LLM source (e.g. how the cassette was made)")
    parser.add_argument("--lab-factory", default=None, help=argparse.SUPPRESS)  # tests: module:callable


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_record(args))


def _factory(spec: str | None) -> Any:
    if not spec:
        from lab.conversation.lab import Lab

        return Lab.open
    import importlib

    module, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


async def _record(args: argparse.Namespace) -> int:
    from lab.config import load_settings
    from lab.scenarios.recorder import Recorder, check_name

    check_name(args.name)
    overrides: dict[str, Any] = {"llm_mode": args.llm, "kestra_url": args.target}
    if args.flow:
        if "/" not in args.flow:
            raise ConfigError(f"--flow must be namespace/id, got {args.flow!r}", fix="e.g. --flow company.whatsapp/whatsapp_agent")
        overrides["namespace"], overrides["flow"] = args.flow.split("/", 1)
    settings = load_settings(**overrides)
    if not args.lab_factory and not settings.llm_upstream_key and not settings.llm_upstream_url:
        raise ConfigError(f"--llm {args.llm} talks to a real model, and no upstream is configured",
                          fix="set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server, "
                              "e.g. http://127.0.0.1:11434/v1 for Ollama)")
    folder = args.dir or settings.scenarios_dir / settings.flow
    path = folder / f"{args.name}.yaml"
    clock = datetime.fromisoformat(args.clock) if args.clock else datetime.now(timezone.utc).replace(microsecond=0)
    options: dict[str, Any] = {"clock_start": clock, "target_url": args.target}
    if args.llm == "record":
        options["cassette"] = folder / f"{args.name}.cassette.yaml"
    async with _factory(args.lab_factory)(settings, serve=args.target is not None, **options) as lab:
        recorder = Recorder(lab, path, args.name, llm_note=args.note,
                            llm_source="cassette" if args.llm == "record" else "live", clock_start=clock)
        recorder.start()
        print(f"recording {path} — flow {settings.namespace}/{settings.flow}, LLM {args.llm}. /help for commands.",
              flush=True)
        try:
            await _chat(lab, recorder, settings)
        finally:
            recorder.stop()
        print(f"saved {path} ({len(recorder.steps)} steps)", flush=True)
    return 0


async def _chat(lab: Any, recorder: Any, settings: Any) -> None:
    from lab.conversation.render import is_bubble, send_text

    contact = settings.contacts[0]
    while True:
        print(f"{contact.name}> ", end="", flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        line = line.strip()
        if not line:
            continue
        try:
            if line.startswith("/"):
                cmd, *rest = shlex.split(line[1:]) or [""]
                if cmd in ("quit", "q", "exit"):
                    return
                if cmd == "contact":
                    who = " ".join(rest)
                    contact = next((c for c in settings.contacts if who in (c.name, c.wa_id)), contact)
                    print(f"now chatting as {contact.name} ({contact.wa_id})", flush=True)
                    continue
                turn = await _command(lab, recorder, contact.wa_id, cmd, rest)
            else:
                turn = await lab.send_text(contact.wa_id, line)
        except LabError as exc:
            print(f"! {exc.render()}", flush=True)
            continue
        if turn is None:
            continue
        for send in turn.replies:
            if is_bubble(send):
                flag = "" if send.verdict.ok else f"  [rejected: {send.verdict.label()}]"
                for i, text_line in enumerate(send_text(send).splitlines() or [""]):
                    print(("bot> " if i == 0 else "     ") + text_line + (flag if i == 0 else ""), flush=True)
        if turn.verdict != "ok":
            print(f"! turn {turn.verdict}: {turn.error}", flush=True)


async def _command(lab: Any, recorder: Any, wa_id: str, cmd: str, rest: list[str]) -> Any:
    if cmd == "help":
        print(HELP, flush=True)
        return None
    if cmd == "tap" and rest:
        return await lab.tap(wa_id, " ".join(rest))
    if cmd == "advance" and rest:
        from lab.clock import parse_duration

        lab.advance(parse_duration(rest[0]))
        recorder.note_advance(rest[0])
        print(f"clock advanced by {rest[0]}", flush=True)
        return None
    if cmd == "read":
        result = lab.read(wa_id)
        if asyncio.iscoroutine(result):
            await result
        recorder.note_step({"read": True})
        return None
    if cmd == "location" and len(rest) >= 2:
        return await lab.send_location(wa_id, float(rest[0]), float(rest[1]), name=" ".join(rest[2:]) or None)
    if cmd == "media" and rest:
        from lab.scenarios.player import _media_kind

        path = Path(rest[0])
        turn = await lab.send_media(wa_id, _media_kind(path), path, caption=" ".join(rest[1:]) or None)
        return turn
    if cmd == "react" and rest:
        return await lab.react(wa_id, rest[0])
    raise ConfigError(f"unknown command /{cmd} {' '.join(rest)}".strip(), fix="type /help for the commands")
