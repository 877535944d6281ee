"""`walab record NAME`: chat with the agent in a plain terminal and record a scenario + cassette.

Type a message and press Enter to send it as the contact. Commands are the composer's
(`lab.conversation.composer`, the TUI's too): /image PATH [caption] (also /doc, /audio, /video,
/sticker; /media PATH guesses the kind), /voice "texto" (a pt-BR voice note) or /voice FILE, /location LAT LON [name], /contact NAME PHONE (a
contact card), /react EMOJI, /reply TEXT, /tap TITLE, /advance 25h, /late 25h TEXT (the webhook
arrives 25 h late), /dup TEXT, /read, /as NAME (chat as another contact; /as NAME PHONE adds a new one), /fault NAME [N] [CODE],
/help, and here also /quit (or Ctrl-D). Every act is performed by `Lab.perform` and on disk at once.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lab import asyncrun
from lab.config import add_kestra_version_option, load_settings
from lab.conversation.actions import Action, Advance, SwitchContact
from lab.conversation.composer import USAGE, ShowHelp, parse_command
from lab.conversation.phone import find_contact
from lab.conversation.render import send_text
from lab.conversation.session import LabSession
from lab.errors import ConfigError, LabError
from lab.whatsapp.reply import visible

# The record chat's own commands, beside the composer's (`composer.USAGE`).
RECORD_USAGE = {
    "/quit": "stop and save the scenario (also Ctrl-D)",
}


def help_text() -> str:
    """The commands, one a line; every finished turn is on disk at once."""
    usages = {**USAGE, **RECORD_USAGE}
    width = max(map(len, usages))
    return "\n".join(f"  {usage:<{width}}  {what}" for usage, what in usages.items())


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """The lab a scenario command plays on (shared by `walab record` and `walab replay`): `--target`
    a real Kestra, the embedded engine's Kestra version, and (for tests) `--lab-factory`."""
    parser.add_argument(
        "--target", default=None, metavar="URL", help="a real Kestra (default: the embedded engine)"
    )
    add_kestra_version_option(parser)
    parser.add_argument(
        "--lab-factory", default=None, help=argparse.SUPPRESS
    )  # tests: module:callable


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Where the scenario files go and whether personal data is redacted in them (shared by
    `walab record` and `walab import`)."""
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: scenarios/<flow>/)"
    )
    parser.add_argument(
        "--no-redact",
        action="store_true",
        help="keep personal data (CPF, phones, names...) in the files; they then say so",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name", help="scenario name, a slug such as greeting_plans (the file is <dir>/<name>.yaml)"
    )
    add_output_options(parser)
    parser.add_argument(
        "--flow", default=None, help="namespace/id of the flow (default: the configured flow)"
    )
    parser.add_argument(
        "--llm",
        default=None,
        choices=("record", "live", "scripted"),
        help="record (live upstream + cassette; the default with OPENAI_API_KEY or OPENAI_BASE_URL), "
        "live (no cassette) or scripted (no model: for flows that call none; the default "
        "without an upstream)",
    )
    add_target_options(parser)
    parser.add_argument(
        "--clock", default=None, help="start of the virtual clock, ISO-8601 (default: now)"
    )
    parser.add_argument(
        "--note",
        default=None,
        help="a note stored with the LLM source (e.g. how the cassette was made)",
    )


def run(args: argparse.Namespace) -> int:
    return asyncrun.run(_record(args))


def _factory(spec: str | None) -> Any:
    if not spec:
        # lazy: start-up, a command loads this only on the path that needs it
        from lab.conversation.lab import Lab

        return Lab.open

    module, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


async def _record(args: argparse.Namespace) -> int:
    # lazy: start-up, a command loads this only on the path that needs it
    from lab.scenarios.recorder import Recorder, check_name, plain_letters

    args.name = check_name(plain_letters(args.name))  # `orçamento` is recorded as `orcamento`
    overrides: dict[str, Any] = {
        "kestra_url": args.target,
        "kestra_version": getattr(args, "kestra_version", None),
    }
    if args.flow:
        if "/" not in args.flow:
            raise ConfigError(
                f"--flow must be namespace/id, got {args.flow!r}",
                fix="e.g. --flow company.whatsapp/whatsapp_agent",
            )
        overrides["namespace"], overrides["flow"] = args.flow.split("/", 1)
    settings = load_settings(**overrides)
    upstream = bool(settings.llm_upstream_key or settings.llm_upstream_url)
    llm = args.llm or ("record" if upstream or args.lab_factory else "scripted")
    if llm in ("record", "live") and not upstream and not args.lab_factory:
        raise ConfigError(
            f"--llm {llm} talks to a real model, and no upstream is configured",
            fix="set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server, "
            "e.g. http://127.0.0.1:11434/v1 for Ollama), or record a flow that calls no model "
            "with --llm scripted",
        )
    settings.llm_mode = llm
    folder = args.dir or settings.scenarios_dir / settings.flow
    path = folder / f"{args.name}.yaml"
    clock = (
        datetime.fromisoformat(args.clock)
        if args.clock
        else datetime.now(timezone.utc).replace(microsecond=0)
    )
    options: dict[str, Any] = {"clock_start": clock, "target_url": args.target}
    if llm == "record":
        options["cassette"] = folder / f"{args.name}.cassette.yaml"
    async with _factory(args.lab_factory)(
        settings, serve=args.target is not None, **options
    ) as lab:
        recorder = Recorder(
            lab,
            path,
            args.name,
            llm_note=args.note,
            llm_source={"record": "cassette"}.get(llm, llm),
            clock_start=clock,
            redact=not args.no_redact,
        )
        recorder.start()
        if args.no_redact:
            print(
                f"--no-redact: {path.name} and its cassette will hold personal data; do not commit them.",
                flush=True,
            )
        model = "no model (scripted, nothing scripted)" if llm == "scripted" else llm
        print(
            f"recording {path} — flow {settings.namespace}/{settings.flow}, LLM {model}. /help for commands.",
            flush=True,
        )
        try:
            await _chat(lab, settings)
        finally:
            recorder.stop()
        print(
            f"saved {path} ({len(recorder.steps)} step{'s' * (len(recorder.steps) != 1)})",
            flush=True,
        )
    return 0


def _read_line() -> str | None:
    """The next line typed (None at the end of input). A line that is not UTF-8 (a Latin-1 'é' from
    an old terminal, a pasted binary) is reported and skipped: the recording goes on."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream given by a caller: already decoded
        return sys.stdin.readline() or None
    raw = stream.readline()
    if not raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        print(
            f"! that line is not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
            "nothing was sent. Set the terminal to UTF-8 (e.g. LANG=C.UTF-8) and type it again.",
            flush=True,
        )
        return ""


async def _chat(lab: LabSession, settings: Any) -> None:
    contact = settings.contacts[0]
    while True:
        print(f"{contact.name}> ", end="", flush=True)
        line = await asyncio.to_thread(_read_line)
        if line is None:
            return
        line = line.strip()
        if not line:
            continue
        cmd, _, rest = line.partition(" ")
        if cmd in ("/quit", "/q", "/exit"):
            return
        if cmd == "/contact" and len(rest.split()) == 1:  # `/contact NAME`: the old spelling of /as
            line = f"/as {rest}"
        try:
            action = parse_command(line, project_dir=settings.project_dir)
            if isinstance(action, ShowHelp):
                print(help_text(), flush=True)
                continue
            turn = await _perform(lab, contact.wa_id, action)
        except LabError as exc:
            print(f"! {exc.render()}", flush=True)
            continue
        if isinstance(action, SwitchContact):
            contact = find_contact(lab.contacts, action.number or action.who)
            added = "added as a new contact; " if action.number else ""
            print(f"{added}now chatting as {contact.name} ({contact.wa_id})", flush=True)
        if turn is None:
            continue
        for send in turn.replies:
            if visible(send):
                flag = "" if send.verdict.ok else f"  [rejected: {send.verdict.label()}]"
                for i, text_line in enumerate(send_text(send).splitlines() or [""]):
                    print(
                        ("bot> " if i == 0 else "     ") + text_line + (flag if i == 0 else ""),
                        flush=True,
                    )
        if turn.verdict != "ok":
            print(f"! turn {turn.verdict}: {turn.error}", flush=True)
        if settings.llm_mode == "scripted" and any(
            "no reply left" in (c.error or "") for c in turn.llm_calls
        ):
            print(
                "! this flow asked a model, and this recording has none: set OPENAI_API_KEY and record with "
                "--llm record",
                flush=True,
            )


async def _perform(lab: LabSession, wa_id: str, action: Action) -> Any:
    """Run one act on the session (the recorder is told by the session itself)."""
    turn = await lab.perform(wa_id, action)
    if isinstance(action, Advance):
        print(f"clock advanced by {action.text}", flush=True)
    return turn
