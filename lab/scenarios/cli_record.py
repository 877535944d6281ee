"""`walab record NAME`: chat with the agent in a plain terminal and record a scenario + cassette.

Type a message and press Enter to send it as the contact. Commands are the TUI composer's:
/image PATH [caption] (also /doc, /audio, /voice, /video, /sticker; /media PATH guesses the kind),
/location LAT LON [name], /contact NAME PHONE (a contact card), /react EMOJI, /reply TEXT, /tap TITLE,
/advance 25h, /late 25h TEXT (the webhook arrives 25 h late), /read, and here also /as NAME (chat as
another contact), /help, /quit (or Ctrl-D). Every finished turn is on disk at once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lab.config import add_kestra_version_option
from lab.errors import ConfigError, LabError

# The record chat's own commands, beside the TUI composer's (`composer_syntax.USAGE`).
RECORD_USAGE = {
    "/media PATH [caption]": "send a file, its kind guessed from the suffix",
    "/as NAME": "chat as another contact (a name or wa_id)",
    "/quit": "stop and save the scenario (also Ctrl-D)",
}


def help_text() -> str:
    """The commands, one a line; every finished turn is on disk at once."""
    from lab.tui.composer_syntax import USAGE

    usages = {**USAGE, **RECORD_USAGE}
    width = max(map(len, usages))
    return "\n".join(f"  {usage:<{width}}  {what}" for usage, what in usages.items())


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="scenario name, a slug such as greeting_plans (the file is <dir>/<name>.yaml)")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: scenarios/<flow>/)")
    parser.add_argument("--flow", default=None, help="namespace/id of the flow (default: the configured flow)")
    parser.add_argument("--llm", default=None, choices=("record", "live", "scripted"),
                        help="record (live upstream + cassette; the default with OPENAI_API_KEY or OPENAI_BASE_URL), "
                             "live (no cassette) or scripted (no model: for flows that call none; the default "
                             "without an upstream)")
    parser.add_argument("--target", default=None, metavar="URL", help="a real Kestra (default: the embedded engine)")
    add_kestra_version_option(parser)
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
    overrides: dict[str, Any] = {"kestra_url": args.target, "kestra_version": getattr(args, "kestra_version", None)}
    if args.flow:
        if "/" not in args.flow:
            raise ConfigError(f"--flow must be namespace/id, got {args.flow!r}", fix="e.g. --flow company.whatsapp/whatsapp_agent")
        overrides["namespace"], overrides["flow"] = args.flow.split("/", 1)
    settings = load_settings(**overrides)
    upstream = bool(settings.llm_upstream_key or settings.llm_upstream_url)
    llm = args.llm or ("record" if upstream or args.lab_factory else "scripted")
    if llm in ("record", "live") and not upstream and not args.lab_factory:
        raise ConfigError(f"--llm {llm} talks to a real model, and no upstream is configured",
                          fix="set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server, "
                              "e.g. http://127.0.0.1:11434/v1 for Ollama), or record a flow that calls no model "
                              "with --llm scripted")
    settings.llm_mode = llm
    folder = args.dir or settings.scenarios_dir / settings.flow
    path = folder / f"{args.name}.yaml"
    clock = datetime.fromisoformat(args.clock) if args.clock else datetime.now(timezone.utc).replace(microsecond=0)
    options: dict[str, Any] = {"clock_start": clock, "target_url": args.target}
    if llm == "record":
        options["cassette"] = folder / f"{args.name}.cassette.yaml"
    async with _factory(args.lab_factory)(settings, serve=args.target is not None, **options) as lab:
        recorder = Recorder(lab, path, args.name, llm_note=args.note,
                            llm_source={"record": "cassette"}.get(llm, llm), clock_start=clock)
        recorder.start()
        model = "no model (scripted, nothing scripted)" if llm == "scripted" else llm
        print(f"recording {path} — flow {settings.namespace}/{settings.flow}, LLM {model}. /help for commands.",
              flush=True)
        try:
            await _chat(lab, recorder, settings)
        finally:
            recorder.stop()
        print(f"saved {path} ({len(recorder.steps)} steps)", flush=True)
    return 0


async def _chat(lab: Any, recorder: Any, settings: Any) -> None:
    from lab.conversation.render import is_bubble, send_text
    from lab.tui import composer_syntax as cs  # the TUI's parser: pure, no Textual

    contact = settings.contacts[0]
    while True:
        print(f"{contact.name}> ", end="", flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        line = line.strip()
        if not line:
            continue
        cmd, _, rest = line.partition(" ")
        if cmd in ("/quit", "/q", "/exit"):
            return
        try:
            if cmd == "/as" or (cmd == "/contact" and len(rest.split()) == 1):  # `/contact NAME`: the old spelling
                contact = _find_contact(settings, rest.strip())
                print(f"now chatting as {contact.name} ({contact.wa_id})", flush=True)
                continue
            if cmd == "/media":  # the kind from the file's suffix
                from lab.scenarios.player import _media_kind

                kind = _media_kind(Path(rest.split(maxsplit=1)[0])) if rest.strip() else "image"
                line = f"/{'doc' if kind == 'document' else kind} {rest}"
            turn = await _perform(lab, recorder, contact.wa_id, cs.parse(line, project_dir=settings.project_dir))
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
        if settings.llm_mode == "scripted" and any("no reply left" in (c.error or "") for c in turn.llm_calls):
            print("! this flow asked a model, and this recording has none: set OPENAI_API_KEY and record with "
                  "--llm record", flush=True)


def _find_contact(settings: Any, who: str) -> Any:
    """The contact with that wa_id or name (or the only one whose name starts so: `/as João`)."""
    exact = [c for c in settings.contacts if who in (c.name, c.wa_id)]
    starts = [c for c in settings.contacts if who and c.name.casefold().startswith(who.casefold())]
    if exact or len(starts) == 1:
        return (exact or starts)[0]
    raise ConfigError(f"no contact {who!r}", fix="use one of: " + ", ".join(f"{c.name} ({c.wa_id})" for c in settings.contacts))


async def _perform(lab: Any, recorder: Any, wa_id: str, action: Any) -> Any:
    """Run one composer action as the TUI does; clock moves and reads are told to the recorder."""
    from lab.scenarios.player import last_business_wamid
    from lab.tui import composer_syntax as cs
    from lab.tui.actions import perform, tell_recorder

    if isinstance(action, cs.ShowHelp):
        print(help_text(), flush=True)
        return None
    turn = await perform(lab, wa_id, action, last_business_wamid=last_business_wamid(lab, wa_id))
    tell_recorder(recorder, action)
    if isinstance(action, cs.Advance):
        print(f"clock advanced by {action.text}", flush=True)
    return turn
